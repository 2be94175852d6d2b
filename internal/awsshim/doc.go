// Package awsshim is a reverse proxy in front of moto that makes its answers
// behave more like AWS and injects faults, for integration and fault tests.
//
// Moto makes every DynamoDB table ACTIVE at once and never throttles. The
// shim keeps tables CREATING (and new global secondary indexes CREATING)
// for a while, refuses changes to tables that are still being created,
// keeps point-in-time recovery unavailable for a while after a table
// becomes ACTIVE, remembers KMS encryption set by UpdateTable (which moto
// ignores), rate-limits SSM PutParameter, and injects server errors,
// throttling, dropped connections and delays from a seeded random
// sequence. It records every call as an IAM action name so tests can check
// which API calls a piece of code made, and when each table it created
// became ACTIVE and was first reported ACTIVE (TableTimings), so benchmarks
// can measure how soon a client notices.
package awsshim
