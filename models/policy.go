package models

import "time"

// Defaults of an FI policy and a client app, taken where a provisioning file leaves a value out.
const (
	DefaultUsernameMin      = 8
	DefaultUsernameMax      = 20
	DefaultPasswordMin      = 6
	DefaultPasswordMax      = 32
	DefaultMaxDestinations  = 5
	DefaultLockoutThreshold = 10
	DefaultLockoutCooldown  = 30 * time.Minute
	MaxLockoutCooldown      = 30 * 24 * time.Hour
	DefaultV1TokenTTL       = 1800
	DefaultV2TokenTTL       = 3600
	DefaultRefreshTokenTTL  = 15552000 // 180 days
)

// Grants and scopes a client app may be given, and the account categories and types an
// account may have.
var (
	KnownGrants = []string{"client_credentials", "password", "refresh_token", "authorization_code"}
	KnownScopes = []string{"accounts:read", "accounts:read_unmasked", "disclosures:read", "disclosures:write",
		"institution-users:read", "institution-users:write", "institution-users:read_pii", "institution-users-billpay:read",
		"transactions:read"}
	AccountCategories = []string{"DEPOSIT", "LOAN", "INVESTMENT", "TIERED_LOAN", "CROSS_USER_ACCOUNT"}
	AccountTypes      = []string{"SAVINGS", "CHECKING", "MONEY_MARKET", "BROKERAGE", "TRUST", "LINE_OF_CREDIT_LOAN",
		"TCL_CREDIT_LINE", "UNKNOWN", "KEOGH", "RETIREMENT_401K", "CERT_OF_DEPOSIT", "CSI_CERT_OF_DEPOSIT",
		"CREDIT_CARD_LOAN", "INSTALLMENT_LOAN", "CONSUMER_LOAN", "COMMERCIAL_LOAN", "MORTGAGE_LOAN",
		"RESIDENTIAL_MORTGAGE_LOAN", "COMMERCIAL_REFI_LOAN", "HOME_EQUITY_LOAN", "GENERAL_LEDGER_ACCOUNT",
		"GENERAL_LEDGER_CODE", "TCL_MASTER", "TCL_NOTE", "USER_DEFINED", "RETIREMENT_IRA"}
	// DebitTransactionTypes and CreditTransactionTypes are the transaction types, by the
	// direction in which they move the account's balance.
	DebitTransactionTypes = []string{"WITHDRAWAL", "CHECK", "SAVINGS_WITHDRAWAL_PASSBOOK", "SAVINGS_WITHDRAWAL_OTHER",
		"TELEPHONE_TRANSFER_DEBIT", "TRANSFER_DEBIT", "ADVANCE", "AUTOMATIC_DEBIT", "ATM_WITHDRAWAL",
		"ELECTRONIC_TRANSFER_DEBIT", "POS_PURCHASE", "BILL_PAYMENT", "ACH_CHECK", "SERVICE_CHARGE", "CHECK_BOOK_CHARGE",
		"ATM_FEE", "POS_PURCHASE_FEE", "STOP_PAYMENT_FEE", "INTEREST_CHARGE_NORMAL", "INSUFFICIENT_FUNDS_CHARGE",
		"RETURNED_CHECK_FEE", "OVERDRAFT_FEE", "EARLY_WITHDRAWAL_FEE", "LEDGER_ADJUSTMENT_DEBIT", "MISCELLANEOUS_DEBIT",
		"RETAIL_PURCHASE", "MAIL_ORDER_OR_TELEPHONE_PURCHASE", "CASH_ADVANCE", "ANNUAL_FEE", "LATE_PAYMENT_FEE",
		"INTEREST_CHARGE", "DEBIT_ADJUSTMENT"}
	CreditTransactionTypes = []string{"DEPOSIT", "TELEPHONE_TRANSFER_CREDIT", "TRANSFER_CREDIT", "PAYMENT", "DIVIDEND",
		"DIRECT_DEPOSIT", "ATM_DEPOSIT", "ELECTRONIC_TRANSFER_CREDIT", "POS_CREDIT", "BILL_PAYMENT_CREDIT", "ACH_CREDIT",
		"INTEREST_POSTING", "LEDGER_ADJUSTMENT_CREDIT", "MISCELLANEOUS_CREDIT", "RETURN_OF_GOODS", "REFUND",
		"PAYMENT_CREDIT_CARD", "CREDIT_ADJUSTMENT"}
)
