#!/usr/bin/env bash
# make demo: start moto on a free loopback port, run the example CLI with
# --all, three profiles and --yes (plan shown, then apply), run it again to
# show that everything is unchanged, and stop moto.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v moto_server >/dev/null || { echo "demo: moto_server not found: install it with pip install 'moto[server]'" >&2; exit 1; }

work=$(mktemp -d)
bin="$work/sentinel-bootstrap"
go build -o "$bin" ./examples/sentinel-bootstrap

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	kill -0 $moto 2>/dev/null || { echo "demo: moto_server exited:" >&2; cat "$work/moto.log" >&2; exit 1; }
	sleep 0.1
done

# Only the emulator: fixed test credentials, no shared config, no metadata service.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
args=(--endpoint-url "http://127.0.0.1:$port" --all --profile dev --profile staging --profile prod --yes)

echo "\$ sentinel-bootstrap ${args[*]}"
"$bin" "${args[@]}"
echo
echo "\$ sentinel-bootstrap ${args[*]}    # again: nothing to do"
"$bin" "${args[@]}"
