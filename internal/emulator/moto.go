package emulator

import (
	"context"
	"strconv"
)

// MotoCommand is the executable started by StartMoto, looked up on PATH.
const MotoCommand = "moto_server"

// StartMoto starts `moto_server -H 127.0.0.1 -p PORT` on a free port and
// waits (up to about 30s) until it answers HTTP. ctx bounds only the
// startup; the process runs until Stop.
func StartMoto(ctx context.Context) (*Server, error) {
	argv := func(port int) []string {
		return []string{MotoCommand, "-H", "127.0.0.1", "-p", strconv.Itoa(port)}
	}
	return startOnFreePort(ctx, "moto", argv, httpAnswers("GET", "/moto-api/", ""))
}
