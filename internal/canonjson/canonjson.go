// Package canonjson renders values as the JSON of the project's golden
// files: indented, with null and empty-string fields left out (unset pointers
// and enums in the SDK's types), so that a golden file shows only what a
// request sets and stays the same when the SDK adds an optional field.
package canonjson

import "encoding/json"

// Marshal renders v canonically, ending with a newline.
func Marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(dropUnset(tree), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func dropUnset(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil || x == "" {
				delete(v, k)
				continue
			}
			v[k] = dropUnset(x)
		}
	case []any:
		for i := range v {
			v[i] = dropUnset(v[i])
		}
	}
	return v
}
