// Package emulator starts local AWS emulators (moto_server and dynalite) on
// loopback ports for integration tests, benchmarks and fault tests.
//
// Processes run in their own process group so that Stop also ends their
// children, and on Linux they receive SIGKILL when the test binary dies.
// The test helpers (Moto, Dynalite) skip the test with a loud message when
// an emulator is not installed, except when the CI environment variable is
// set, where a missing emulator fails the test.
package emulator
