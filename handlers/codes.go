package handlers

// The contract's codes that the HTTP layer answers itself, by family. Register v4's field and
// outcome codes are in package registration, the user-disclosure rules' in package consent.
// Every one of them is declared in openapi/openapi.yaml under the family's error response
// (x-error-codes); TestEveryCodeIsInTheSpec keeps the two equal.

// Legacy family: V1 token, Register v4, Get FI Customer (legacy Status).
const (
	codeLegacyInvalidInput = "20006" // Register v4 / Get FI Customer: invalid input
	codeCustomerNotFound   = "20404" // Get FI Customer: no such customer
	codeLegacyFailed       = "26340" // Register v4 / Get FI Customer: the service failed
	codeNotAuthorised      = "90001" // credentials invalid, or not authorised
	codeLegacyInvalid      = "90002" // a header or form parameter invalid; access blocked
	codeLegacyInternal     = "90003" // internal service error
	codeQuota              = "91000" // quota limit violation
	codeSpikeArrest        = "92000" // spike arrest

	// The legacy accounts list.
	codeLegacyNoData        = "20009" // no such customer (or sub-user) at the FI
	codeLegacyHeaders       = "25099" // a parameter invalid, or a header the user type needs missing
	codeLegacySubUserAuthID = "25618" // intuit_authid empty for a sub-user
	codeLegacyIBUserType    = "25694" // a business user type for a retail user
	codeLegacyMemberNumber  = "25736" // intuit_IFS_onBehalfOfUser is not the customer's member
)

// Token gateway (V2 token and revoke, ErrorResponse).
const (
	cmnInternal        = "CMN_90000"
	cmnNotAuthorised   = "CMN_90001" // client not authorised for the FI
	cmnSpikeArrest     = "CMN_90002"
	cmnInvalidClient   = "CMN_90004"
	cmnInstitution     = "CMN_90005" // institutionId header invalid
	cmnForbidden       = "CMN_90006"
	cmnGrantType       = "CMN_90007"
	cmnTransactionID   = "CMN_90008"
	cmnHeader          = "CMN_90010"
	cmnRequest         = "CMN_90011" // refresh or revoke token missing; request invalid
	cmnScopes          = "CMN_90012"
	cmnUsername        = "CMN_90013"
	cmnPassword        = "CMN_90014"
	cmnUserCredentials = "CMN_90015"
	cmnInvalidToken    = "CMN_90016"
	cmnNonPrintable    = "CMN_90017"
	cmnAccessBlocked   = "CMN_90009" // partner sign-in: the app may not request codes for that partner
	cmnSelfAuthorized  = "CMN_90020" // partner sign-in: the partner is the calling app
	cmnClientConfig    = "CMN_90021" // partner sign-in: the partner is not set up for it at the FI
)

// Disclosures (ErrorResponse).
const (
	dscInvalidRequest  = "DSC_10002"
	dscUnsupported     = "DSC_10003"
	dscQueryParam      = "DSC_10009"
	dscNoAuthorization = "DSC_11001"
	dscInvalidToken    = "DSC_11002"
	dscNotAuthorised   = "DSC_11003"
	dscNonPrintable    = "DSC_12001"
	dscTraceMissing    = "DSC_12002"
	dscTraceTooLong    = "DSC_12003"
	dscFields          = "DSC_12004" // required fields missing or invalid
	dscBlank           = "DSC_12005"
	dscAccountType     = "DSC_12006"
	dscHeaderTooLong   = "DSC_12007"
	dscTooLong         = "DSC_12011"
	dscIDMismatch      = "DSC_12012"
	dscCallingAppID    = "DSC_12013"
	dscBodyTooLarge    = "DSC_12014"
	dscNotSupported    = "DSC_12015"
	dscNoData          = "DSC_13001"
	dscInternal        = "DSC_99999"
	// Our 429 (quota, spike arrest, load shedding): the contract publishes none for disclosures.
	dscTooManyRequests = "DSC_12018"
)

// Accounts (ErrorResponse).
const (
	accFilter        = "ACC_00005"
	accValidation    = "ACC_00011"
	accUserNotFound  = "ACC_00101"
	accNoLocation    = "ACC_00410"
	accInvalidToken  = "ACC_00601"
	accNotAuthorised = "ACC_00602"
	accNotJSON       = "ACC_99988"
	accCallingAppID  = "ACC_99991"
	accQueryNeither  = "ACC_99992"
	accQueryBoth     = "ACC_99994"
	accNonPrintable  = "ACC_99995"
	accHeaderTooLong = "ACC_99996"
	accTraceTooLong  = "ACC_99997"
	accTraceMissing  = "ACC_99998"
	accInternal      = "ACC_99999"
	// Our 429 (quota, spike arrest, load shedding): the contract publishes none for accounts.
	accTooManyRequests = "ACC_99987"
)

// Customer v2 ("ux-users") family: {status, message, code}.
const (
	uxuNotFound        = "UXU_10000" // no such user at the token's FI (the 404 examples)
	uxuInvalidToken    = "UXU_10001"
	uxuForbidden       = "UXU_10002"
	uxuNoAuthorization = "UXU_10005"
	uxuNotTokenUser    = "UXU_10011" // a user-bound token naming another user
	uxuInvalidPath     = "UXU_10013"
	// Our password-recovery extension's codes (the public contract stops at sending the passcode).
	uxuPasscodeInvalid       = "UXU_14001"
	uxuPasscodeSpent         = "UXU_14002"
	uxuTooManyPasscodes      = "UXU_14003"
	uxuExternalService       = "UXU_30002"
	uxuContactMethodNotFound = "UXU_88889"
	uxuInvalidQuery          = "UXU_10014"
	uxuNoEntitled            = "UXU_88888" // no such user: the 404 of the profile, contact-info and accounts examples
	uxuContactNotFound       = "UXU_88891" // a phone to replace that is not the user's

	uxuInternal     = "UXU_99998"
	uxuCannotHandle = "UXU_99999"
	uxuUnavailable  = "UXU_30001"
	// Our 429 (quota, spike arrest, load shedding): the contract publishes none for Customer v2.
	uxuTooManyRequests = "UXU_10015"
)

// Customer v2 registration (registerCustomerV2), in the Customer v2 family: the registration
// domain's violations and outcomes map onto them in customerregister.go.
const (
	uxuNameLength        = "UXU_13001" // a name missing or too long, alone or first + last
	uxuPassword          = "UXU_13002"
	uxuLoginTaken        = "UXU_13003"
	uxuDateFormat        = "UXU_13005" // birthDate
	uxuLoginIsMember     = "UXU_13007"
	uxuAlreadyRegistered = "UXU_13008" // 409: registered, in progress, or the correlationId reused
	uxuRegisterFailed    = "UXU_13009" // the registration failed on our side
)

// Institution users and user status ("db-users") family: ErrorResponse.
const (
	isrNotFound        = "ISR_10001" // no such user at the token's FI, or a user's token naming another
	isrOData           = "ISR_10009" // a malformed $expand or $filter
	isrNoAuthorization = "ISR_11001"
	isrInvalidToken    = "ISR_11002"
	isrForbidden       = "ISR_11003"
	isrNonPrintable    = "ISR_11004"
	isrInvalidQuery    = "ISR_11008"
	isrNoDocumentKey   = "ISR_23007" // identification documents asked for, the FI has no document key
	isrInternal        = "ISR_99999"
	// Our 429 (quota, spike arrest, load shedding): the contract publishes none for institution users.
	isrTooManyRequests = "ISR_11010"
)
