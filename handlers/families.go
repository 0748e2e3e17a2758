package handlers

import (
	"net/http"
	"strings"
)

// family is an API family: it fixes an operation's error envelope, trace header and the codes of
// the cross-cutting failures (CONTRACT.md 1.2, 1.5, 1.6). It is chosen by the canonical path.
type family int

const (
	famGeneric     family = iota // operational endpoints and unknown paths: ErrorResponse
	famLegacyToken               // V1 token: legacy Status, always XML
	famLegacy                    // Register v4, Get FI Customer: legacy Status, JSON or XML (D1)
	famToken                     // V2 token and revoke: ErrorResponse CMN_*
	famDisclosures               // ErrorResponse DSC_*
	famAccounts                  // ErrorResponse ACC_*
)

// familyOf classifies a canonical path (after alias rewriting).
func familyOf(path string) family {
	switch {
	case path == "/v1/oauth/token":
		return famLegacyToken
	case strings.HasPrefix(path, "/registration/"), strings.HasPrefix(path, "/bankingservices/"):
		return famLegacy
	case strings.HasPrefix(path, "/oauth2/"):
		return famToken
	case strings.HasPrefix(path, "/v1/institution-disclosures"), strings.HasPrefix(path, "/v1/institution-user-disclosures"):
		return famDisclosures
	case path == "/v1/accounts" || strings.HasPrefix(path, "/v1/accounts/"):
		return famAccounts
	default:
		return famGeneric
	}
}

// legacy reports whether the family answers with the legacy Status envelope.
func (f family) legacy() bool { return f == famLegacyToken || f == famLegacy }

// traceHeader is the name of the family's trace header ("" for none).
func (f family) traceHeader() string {
	switch f {
	case famLegacyToken, famLegacy:
		return "di_tid"
	case famToken, famDisclosures, famAccounts:
		return "transactionId"
	}
	return ""
}

// familyCodes are the codes of failures that happen before or around an operation's own logic.
type familyCodes struct {
	badRequest     string // catch-all invalid request
	unauthorized   string // missing or invalid token or credentials
	forbidden      string
	notFound       string
	methodNotAllow string
	headerTooLarge string
	nonPrintable   string
	bodyTooLarge   string
	unsupportedMT  string // request media type not accepted
	internal       string
	unavailable    string
}

var codesByFamily = map[family]familyCodes{
	famGeneric: {badRequest: "BAD_REQUEST", unauthorized: "UNAUTHORIZED", forbidden: "FORBIDDEN", notFound: "NOT_FOUND",
		methodNotAllow: "METHOD_NOT_ALLOWED", headerTooLarge: "BAD_REQUEST", nonPrintable: "BAD_REQUEST",
		bodyTooLarge: "BAD_REQUEST", unsupportedMT: "UNSUPPORTED_MEDIA_TYPE", internal: "INTERNAL", unavailable: "UNAVAILABLE"},
	famLegacyToken: {badRequest: "90002", unauthorized: "90001", forbidden: "90002", notFound: "90002",
		methodNotAllow: "90002", headerTooLarge: "90002", nonPrintable: "90002", bodyTooLarge: "90002",
		unsupportedMT: "90002", internal: "90003", unavailable: "90003"},
	famLegacy: {badRequest: "20006", unauthorized: "90001", forbidden: "90002", notFound: "20006",
		methodNotAllow: "20006", headerTooLarge: "90002", nonPrintable: "20006", bodyTooLarge: "20006",
		unsupportedMT: "20006", internal: "26340", unavailable: "26340"},
	famToken: {badRequest: "CMN_90011", unauthorized: "CMN_90004", forbidden: "CMN_90006", notFound: "CMN_90006",
		methodNotAllow: "CMN_90006", headerTooLarge: "CMN_90010", nonPrintable: "CMN_90017", bodyTooLarge: "CMN_90011",
		unsupportedMT: "CMN_90010", internal: "CMN_90000", unavailable: "CMN_90000"},
	famDisclosures: {badRequest: "DSC_10002", unauthorized: "DSC_11002", forbidden: "DSC_11003", notFound: "DSC_13001",
		methodNotAllow: "DSC_10003", headerTooLarge: "DSC_12007", nonPrintable: "DSC_12001", bodyTooLarge: "DSC_12014",
		unsupportedMT: "DSC_10002", internal: "DSC_99999", unavailable: "DSC_99999"},
	famAccounts: {badRequest: "ACC_00011", unauthorized: "ACC_00601", forbidden: "ACC_00602", notFound: "ACC_00101",
		methodNotAllow: "ACC_00011", headerTooLarge: "ACC_99996", nonPrintable: "ACC_99995", bodyTooLarge: "ACC_00011",
		unsupportedMT: "ACC_99988", internal: "ACC_99999", unavailable: "ACC_99999"},
}

// codes returns the family's cross-cutting codes.
func (f family) codes() familyCodes { return codesByFamily[f] }

// methodNotAllowedStatus is the status of a wrong method: disclosures publish 501 DSC_10003.
func methodNotAllowedStatus(f family) int {
	if f == famDisclosures {
		return http.StatusNotImplemented // DSC_10003: invalid or unsupported operation
	}
	return http.StatusMethodNotAllowed
}
