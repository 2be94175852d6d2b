// Package integration holds the library's integration tests: Run and
// Destroy against real emulators (moto, most often through the AWS-timing
// shim of internal/awsshim, and dynalite) that the tests start themselves
// on loopback ports. It has no code of its own; run it with
//
//	go test ./integration/
//
// A missing emulator skips a test loudly, or fails it when CI is set. The
// fast mock-based unit tests live with the library at the module root
// (go test .).
package integration
