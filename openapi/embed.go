// Package openapi embeds the API contract, openapi.yaml, the source of truth for routes,
// validation and the generated code in gen/.
package openapi

import _ "embed"

// YAML is the specification exactly as written in openapi/openapi.yaml.
//
//go:embed openapi.yaml
var YAML []byte
