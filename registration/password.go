package registration

import (
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// PasswordAcceptable reports whether password may be loginID's password at the FI: within the
// FI's length range and the bytes ever hashed, safe text, at least two character classes, no
// white space, not part of the login id. Registration and a password reset apply the same rule.
func PasswordAcceptable(fi models.Institution, loginID, password string) bool {
	return len(password) <= maxPasswordBytes && rules.SafeText(password) &&
		rules.CheckPassword(password, loginID, fi.PasswordMin, fi.PasswordMax)
}
