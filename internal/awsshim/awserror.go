package awsshim

import (
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"sync/atomic"
)

// ddbErrorPrefix is the namespace AWS DynamoDB puts before error codes in
// __type. The SDK strips everything up to '#' and maps the rest to the
// modeled error type, e.g. *types.ResourceInUseException.
const ddbErrorPrefix = "com.amazonaws.dynamodb.v20120810#"

// requestSeq numbers synthesised answers for their request ids.
var requestSeq atomic.Uint64

// writeError answers an AWS JSON protocol error without asking upstream:
// {"__type": code, "message": msg}, with the Content-Type of the service's
// protocol and, for DynamoDB, the X-Amz-Crc32 header the SDK verifies.
func writeError(w http.ResponseWriter, c call, status int, code, msg string) {
	typ := code
	if c.service == "dynamodb" {
		typ = ddbErrorPrefix + code
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{typ, msg})
	h := w.Header()
	h.Set("Content-Type", contentType(c))
	h.Set("X-Amzn-Requestid", "awsshim-"+strconv.FormatUint(requestSeq.Add(1), 10))
	writeBody(w, c, status, body)
}

// writeBody writes a complete body with Content-Length and, for DynamoDB,
// the X-Amz-Crc32 (CRC32 IEEE, decimal) of exactly these bytes.
func writeBody(w http.ResponseWriter, c call, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if c.service == "dynamodb" {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// contentType is the response Content-Type of the service's JSON protocol.
func contentType(c call) string {
	if c.service == "dynamodb" {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}
