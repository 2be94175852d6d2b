package awsshim

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// rewriteTable decodes a DynamoDB answer, applies edit to the table
// description under key ("Table" or "TableDescription") and re-encodes it.
// Numbers are kept verbatim.
func rewriteTable(body []byte, key string, edit func(desc map[string]any)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("awsshim: decode %s answer: %w", key, err)
	}
	desc, ok := doc[key].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("awsshim: answer has no %s object", key)
	}
	edit(desc)
	return json.Marshal(doc)
}

// markCreating shows a table and all its global secondary indexes CREATING.
func markCreating(desc map[string]any) {
	desc["TableStatus"] = "CREATING"
	for _, gsi := range indexes(desc) {
		gsi["IndexStatus"] = "CREATING"
	}
}

// markIndexesCreating shows the table UPDATING and the named global
// secondary indexes CREATING with Backfilling true.
func markIndexesCreating(names map[string]bool) func(map[string]any) {
	return func(desc map[string]any) {
		desc["TableStatus"] = "UPDATING"
		for _, gsi := range indexes(desc) {
			if name, _ := gsi["IndexName"].(string); names[name] {
				gsi["IndexStatus"] = "CREATING"
				gsi["Backfilling"] = true
			}
		}
	}
}

// indexes returns the GlobalSecondaryIndexes entries of a table description.
func indexes(desc map[string]any) []map[string]any {
	list, _ := desc["GlobalSecondaryIndexes"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// withSSE shows the table encrypted as sse (what moto forgets after an
// UpdateTable).
func withSSE(sse map[string]any) func(map[string]any) {
	return func(desc map[string]any) {
		desc["SSEDescription"] = sse
	}
}
