// Package awsshim is a reverse proxy in front of moto that makes its answers
// behave more like AWS and injects faults, for integration and fault tests.
//
// Moto makes every DynamoDB table ACTIVE at once, always finds a table it
// has created, never loses an answer and never throttles. The shim, each
// behaviour configured per shim (Options) or per table (methods):
//
//   - keeps tables CREATING (and new global secondary indexes CREATING)
//     for a while, refuses changes to tables that are still being created,
//     and keeps point-in-time recovery unavailable for a while after a
//     table becomes ACTIVE (CreatingFor, IndexCreatingFor,
//     PITRUnavailableFor);
//   - answers ResourceNotFoundException to DescribeTable, DescribeTimeToLive,
//     DescribeContinuousBackups, ListTagsOfResource and changes for a while
//     after a successful CreateTable, as AWS may (InvisibleFor);
//   - shows any TableStatus (ARCHIVED, INACCESSIBLE_ENCRYPTION_CREDENTIALS,
//     DELETING, ...), IndexStatus and Backfilling, or SSE status a test sets
//     (SetTableStatus, SetIndexStatus, SetSSEStatus), refusing changes
//     meanwhile with ResourceInUseException (see SetTableStatus);
//   - drops the answer of a CreateTable after moto carried it out, so the
//     client's retry gets ResourceInUseException (DropFirstCreateAnswer,
//     DropCreateAnswer);
//   - remembers KMS encryption set by UpdateTable (which moto ignores),
//     makes every state-changing call atomic, and rate-limits SSM
//     PutParameter (PutParameterLimit);
//   - forwards KMS calls (TrentService.*: DescribeKey, Sign, Verify, ...)
//     to moto untouched;
//   - adds a delay to every call and injects server errors, throttling,
//     dropped connections and delays from a seeded random sequence into
//     every call, DynamoDB, SSM and KMS alike (Delay, Faults).
//
// It records every call as an IAM action name ("dynamodb:CreateTable",
// "ssm:PutParameter", "kms:Sign") with the resources it names, so tests can
// check which API calls a piece of code made and how many could change
// state (Writes), and when each table it created became ACTIVE and was
// first reported ACTIVE (TableTimings), so benchmarks can measure how soon
// a client notices.
package awsshim
