package awsshim

import (
	"encoding/json"
	"strings"
)

// call identifies the AWS operation of a request.
type call struct {
	service string // IAM service prefix: "dynamodb", "ssm", ...
	op      string // operation name: "CreateTable", "PutParameter", ...
	action  string // IAM action name: service + ":" + op
}

// targetServices maps X-Amz-Target prefixes to IAM service prefixes.
var targetServices = map[string]string{
	"DynamoDB_20120810":        "dynamodb",
	"DynamoDBStreams_20120810": "dynamodb",
	"AmazonSSM":                "ssm",
	"TrentService":             "kms",
}

// parseTarget reads an X-Amz-Target header such as
// "DynamoDB_20120810.CreateTable".
func parseTarget(target string) call {
	prefix, op, ok := strings.Cut(target, ".")
	if !ok || op == "" {
		return call{service: "unknown", op: "Unknown", action: "unknown:Unknown"}
	}
	svc, known := targetServices[prefix]
	if !known {
		svc = strings.ToLower(prefix)
	}
	return call{service: svc, op: op, action: svc + ":" + op}
}

// isRead reports whether an operation changes no state: its name starts with
// Describe, Get, List, Query or Scan (or it is BatchGetItem or
// TransactGetItems, which only read too), or it is a KMS operation that only
// computes with a key (Sign, Verify, Encrypt, GenerateDataKey, ...).
func isRead(c call) bool {
	for _, p := range []string{"Describe", "Get", "List", "Query", "Scan", "BatchGet", "TransactGet"} {
		if strings.HasPrefix(c.op, p) {
			return true
		}
	}
	return c.service == "kms" && kmsComputes[c.op]
}

// ddbRequest holds the request fields the shim needs from DynamoDB calls.
type ddbRequest struct {
	TableName                   string
	ResourceArn                 string
	GlobalSecondaryIndexUpdates []struct {
		Create *struct{ IndexName string }
	}
	SSESpecification *struct {
		Enabled        *bool
		SSEType        string
		KMSMasterKeyId string
	}
}

// kmsEncryption returns the SSEDescription an UpdateTable request asking
// for KMS encryption leads to on AWS, or nil.
func (r *ddbRequest) kmsEncryption() map[string]any {
	sse := r.SSESpecification
	if sse == nil || sse.Enabled == nil || !*sse.Enabled || sse.SSEType != "KMS" {
		return nil
	}
	key := sse.KMSMasterKeyId
	if !strings.HasPrefix(key, "arn:") {
		if key == "" {
			key = "aws/dynamodb"
		}
		key = "arn:aws:kms:us-east-1:123456789012:key/" + key
	}
	return map[string]any{"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}
}

// table returns the table the request is about: TableName (which may be an
// ARN) or, for TagResource and friends, the name after "table/" in
// ResourceArn.
func (r *ddbRequest) table() string {
	name := r.TableName
	if name == "" {
		name = r.ResourceArn
	}
	return tableFromARN(name)
}

// createdIndexes lists the indexes an UpdateTable request creates.
func (r *ddbRequest) createdIndexes() []string {
	var names []string
	for _, u := range r.GlobalSecondaryIndexUpdates {
		if u.Create != nil && u.Create.IndexName != "" {
			names = append(names, u.Create.IndexName)
		}
	}
	return names
}

// tableFromARN turns arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/index/...]
// into NAME and returns anything that is not such an ARN unchanged.
func tableFromARN(s string) string {
	_, after, ok := strings.Cut(s, ":table/")
	if !ok {
		return s
	}
	name, _, _ := strings.Cut(after, "/")
	return name
}

// parseDDB decodes the fields of ddbRequest from a request body; a body
// that is not JSON yields an empty request (moto will reject it).
func parseDDB(body []byte) ddbRequest {
	var r ddbRequest
	_ = json.Unmarshal(body, &r)
	return r
}

// Call is one call the shim saw.
type Call struct {
	Action    string   // IAM action name, such as "dynamodb:CreateTable"
	Resources []string // the table name, or the SSM parameter names, it is about
	Body      []byte   // the request body (JSON)
}

// resources lists what a request is about: for DynamoDB the table, for SSM
// the parameter names, for KMS the key (as the request names it).
func resources(c call, body []byte) []string {
	switch c.service {
	case "dynamodb":
		if r := parseDDB(body); r.table() != "" {
			return []string{r.table()}
		}
	case "ssm":
		var r struct {
			Name  string
			Names []string
		}
		_ = json.Unmarshal(body, &r)
		if r.Name != "" {
			return []string{r.Name}
		}
		return r.Names
	case "kms":
		return kmsKey(body)
	}
	return nil
}
