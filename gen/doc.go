// Package gen holds the code oapi-codegen generates from openapi/openapi.yaml. Never edit it by hand.
package gen
