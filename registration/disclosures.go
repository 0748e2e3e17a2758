package registration

import (
	"strings"

	"github.com/custreg/custreg/models"
)

// acceptedDisclosures applies the FI's disclosure policy at registration (D3, D4) to what the
// application says it accepted, against the FI's definitions. It returns the disclosures to record
// acceptance evidence for, and whether the policy is satisfied:
//
//   - a flag that is neither a boolean nor "true"/"false", or a listed id that is not an enabled
//     disclosure of the FI, never satisfies it;
//   - atFirstLogin: nothing is accepted now (the user-disclosures API records it later);
//   - atRegistration with a list: the list must name every required disclosure, and is what is
//     accepted (the flag may then be false);
//   - atRegistration without a list: a true flag accepts every required disclosure, and is needed
//     when there is one.
func acceptedDisclosures(policy string, flag any, ids []string, defs []models.Disclosure) ([]models.Disclosure, bool) {
	accepted, flagOK := acceptedFlag(flag)
	if !flagOK {
		return nil, false
	}
	var required []models.Disclosure
	byID := map[string]models.Disclosure{}
	for _, d := range defs {
		if d.Enabled {
			byID[strings.ToUpper(d.ID)] = d
			if d.Required {
				required = append(required, d)
			}
		}
	}
	var listed []models.Disclosure
	for _, id := range ids {
		d, ok := byID[strings.ToUpper(strings.TrimSpace(id))]
		if !ok {
			return nil, false // not a disclosure of this FI
		}
		listed = append(listed, d)
	}
	switch {
	case policy == models.AcceptAtFirstLogin:
		return nil, true
	case ids != nil:
		for _, r := range required {
			if !contains(listed, r.ID) {
				return nil, false
			}
		}
		return listed, true
	case accepted:
		return required, true
	}
	return nil, len(required) == 0
}

func contains(ds []models.Disclosure, id string) bool {
	for _, d := range ds {
		if d.ID == id {
			return true
		}
	}
	return false
}

// acceptedFlag reads acceptedDisclosure as a boolean or the strings "true"/"false" (D3); absent
// is false. ok is false for any other value.
func acceptedFlag(v any) (value, ok bool) {
	switch x := v.(type) {
	case nil:
		return false, true
	case bool:
		return x, true
	case string:
		switch strings.TrimSpace(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
