package client

import (
	"context"
	"net/http"
)

// BasicAuth sends the client app's id and secret (Shared Key and Secret Key) as HTTP Basic
// credentials, as the token services require.
func BasicAuth(clientID, secret string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.SetBasicAuth(clientID, secret)
		return nil
	}
}

// BearerAuth sends an access token.
func BearerAuth(token string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// AcceptJSON asks for JSON. The V1 token and the legacy operations answer XML by default, and
// the generated types decode JSON only: without it a 200 leaves the JSON200 field nil.
func AcceptJSON(_ context.Context, req *http.Request) error {
	req.Header.Set("Accept", "application/json")
	return nil
}
