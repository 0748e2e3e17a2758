// Package registration decides whether a Register v4 application may be stored: it applies the
// field rules of docs/registration.md in their reporting order (D26), the FI's username and
// password policy (D5), the stricter field validation (D6) and the FI's disclosure policy at
// registration (D4), and turns an acceptable application into the Plan the store writes.
//
// It is plain domain code: it imports models and rules only — never the generated API types,
// the database or the HTTP stack — so every rule is tested here without either.
package registration
