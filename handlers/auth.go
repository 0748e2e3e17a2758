package handlers

// principal is the authenticated caller of a request: a client app, and for a bearer token the
// token's FI, scopes and user.
type principal struct {
	clientAppID uint
	clientID    string
}
