// Package registration decides whether an application to register a customer may be stored:
// it applies the field rules of docs/registration.md in their reporting order (D26), the FI's
// username and password policy (D5), the stricter field validation (D6) and the FI's disclosure
// policy at registration (D4), and turns an acceptable application into the Plan the store
// writes. Register v4 and the Customer v2 registration are two adapters over it: each converts
// its body into an Application and renders the Violations in its own codes; neither has rules of
// its own. Fields and codes are Register v4's, the first adapter's.
//
// It is plain domain code: it imports models and rules only — never the generated API types,
// the database or the HTTP stack — so every rule is tested here without either.
package registration
