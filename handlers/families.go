package handlers

import (
	"net/http"
	"strings"
)

// family is an API family: it fixes an operation's error envelope, trace header and the codes of
// the cross-cutting failures (contract §1.2, 1.5, 1.6). It is chosen by the canonical path.
type family int

const (
	famGeneric          family = iota // operational endpoints and unknown paths: ErrorResponse
	famLegacyToken                    // V1 token: legacy Status, always XML
	famLegacy                         // Register v4, Get FI Customer: legacy Status, JSON or XML (D1)
	famToken                          // V2 token, revoke, partner sign-in (client-authorization, auth-code): ErrorResponse CMN_*
	famDisclosures                    // ErrorResponse DSC_*
	famAccounts                       // ErrorResponse ACC_*
	famCustomers                      // Customer v2 ("ux-users"): {status, message, code} UXU_*
	famInstitutionUsers               // institution users and user status ("db-users"): ErrorResponse ISR_*
)

// familyOf classifies a canonical path (after alias rewriting).
func familyOf(path string) family {
	switch {
	case path == "/v1/oauth/token":
		return famLegacyToken
	case strings.HasPrefix(path, "/registration/"), strings.HasPrefix(path, "/bankingservices/"):
		return famLegacy
	case strings.HasPrefix(path, "/oauth2/"), path == "/v1/client-authorization", path == "/v1/auth-code":
		return famToken
	case strings.HasPrefix(path, "/v1/institution-disclosures"), strings.HasPrefix(path, "/v1/institution-user-disclosures"):
		return famDisclosures
	case path == "/v1/accounts" || strings.HasPrefix(path, "/v1/accounts/"):
		return famAccounts
	case path == "/v1/customers" || strings.HasPrefix(path, "/v1/customers/"):
		return famCustomers
	case strings.HasPrefix(path, "/v1/institution-users"), strings.HasPrefix(path, "/v2/institution-users"),
		strings.HasPrefix(path, "/v1/user-status"):
		return famInstitutionUsers
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
	case famToken, famDisclosures, famAccounts, famInstitutionUsers:
		return "transactionId"
	case famCustomers:
		return "correlationId"
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
	quota          string // the client app's quota is used up (limitStatus)
	spikeArrest    string // too fast, or the service sheds load (limitStatus)
}

var codesByFamily = map[family]familyCodes{
	famGeneric: {badRequest: "BAD_REQUEST", unauthorized: "UNAUTHORIZED", forbidden: "FORBIDDEN", notFound: "NOT_FOUND",
		methodNotAllow: "METHOD_NOT_ALLOWED", headerTooLarge: "BAD_REQUEST", nonPrintable: "BAD_REQUEST",
		bodyTooLarge: "BAD_REQUEST", unsupportedMT: "UNSUPPORTED_MEDIA_TYPE", internal: "INTERNAL", unavailable: "UNAVAILABLE",
		quota: "TOO_MANY_REQUESTS", spikeArrest: "TOO_MANY_REQUESTS"},
	famLegacyToken: {badRequest: codeLegacyInvalid, unauthorized: codeNotAuthorised, forbidden: codeLegacyInvalid, notFound: codeLegacyInvalid,
		methodNotAllow: codeLegacyInvalid, headerTooLarge: codeLegacyInvalid, nonPrintable: codeLegacyInvalid, bodyTooLarge: codeLegacyInvalid,
		unsupportedMT: codeLegacyInvalid, internal: codeLegacyInternal, unavailable: codeLegacyInternal,
		quota: codeQuota, spikeArrest: codeSpikeArrest},
	famLegacy: {badRequest: codeLegacyInvalidInput, unauthorized: codeNotAuthorised, forbidden: codeLegacyInvalid, notFound: codeLegacyInvalidInput,
		methodNotAllow: codeLegacyInvalidInput, headerTooLarge: codeLegacyInvalid, nonPrintable: codeLegacyInvalidInput, bodyTooLarge: codeLegacyInvalidInput,
		unsupportedMT: codeLegacyInvalidInput, internal: codeLegacyFailed, unavailable: codeLegacyFailed,
		quota: codeQuota, spikeArrest: codeSpikeArrest},
	famToken: {badRequest: cmnRequest, unauthorized: cmnInvalidClient, forbidden: cmnForbidden, notFound: cmnForbidden,
		methodNotAllow: cmnForbidden, headerTooLarge: cmnHeader, nonPrintable: cmnNonPrintable, bodyTooLarge: cmnRequest,
		unsupportedMT: cmnHeader, internal: cmnInternal, unavailable: cmnInternal,
		quota: cmnNotAuthorised, spikeArrest: cmnSpikeArrest},
	famDisclosures: {badRequest: dscInvalidRequest, unauthorized: dscInvalidToken, forbidden: dscNotAuthorised, notFound: dscNoData,
		methodNotAllow: dscUnsupported, headerTooLarge: dscHeaderTooLong, nonPrintable: dscNonPrintable, bodyTooLarge: dscBodyTooLarge,
		unsupportedMT: dscInvalidRequest, internal: dscInternal, unavailable: dscInternal,
		quota: dscTooManyRequests, spikeArrest: dscTooManyRequests},
	famAccounts: {badRequest: accValidation, unauthorized: accInvalidToken, forbidden: accNotAuthorised, notFound: accUserNotFound,
		methodNotAllow: accValidation, headerTooLarge: accHeaderTooLong, nonPrintable: accNonPrintable, bodyTooLarge: accValidation,
		unsupportedMT: accNotJSON, internal: accInternal, unavailable: accInternal,
		quota: accTooManyRequests, spikeArrest: accTooManyRequests},
	famCustomers: {badRequest: uxuCannotHandle, unauthorized: uxuInvalidToken, forbidden: uxuForbidden, notFound: uxuInvalidPath,
		methodNotAllow: uxuInvalidPath, headerTooLarge: uxuCannotHandle, nonPrintable: uxuCannotHandle, bodyTooLarge: uxuCannotHandle,
		unsupportedMT: uxuCannotHandle, internal: uxuInternal, unavailable: uxuUnavailable,
		quota: uxuTooManyRequests, spikeArrest: uxuTooManyRequests},
	famInstitutionUsers: {badRequest: isrInvalidQuery, unauthorized: isrInvalidToken, forbidden: isrForbidden, notFound: isrNotFound,
		methodNotAllow: isrInvalidQuery, headerTooLarge: isrInvalidQuery, nonPrintable: isrNonPrintable, bodyTooLarge: isrInvalidQuery,
		unsupportedMT: isrInvalidQuery, internal: isrInternal, unavailable: isrInternal,
		quota: isrTooManyRequests, spikeArrest: isrTooManyRequests},
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
