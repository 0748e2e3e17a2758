// Package client is a typed Go client for the Customer Registration API, generated from
// openapi/openapi.yaml by oapi-codegen into client.gen.go (never edited by hand). NewClientWithResponses
// gives one method per operation with typed parameters, bodies and parsed responses; see
// examples/register for a complete registration.
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi/openapi.yaml
