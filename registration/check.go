package registration

import (
	"strings"
	"time"

	"github.com/custreg/custreg/models"
)

// Plan is an application that passed every rule, in the terms the store writes: the customer in
// clear (the store hashes the password and seals the PII), the rows that go with it, and the
// disclosures whose acceptance evidence is recorded.
type Plan struct {
	FI           models.Institution
	MemberNumber string
	Person       Person
	HostPIN      string
	Addresses    []models.CustomerAddress
	Phones       []models.CustomerPhone
	Destinations []models.Destination // VOICE and SMS per phone, EMAIL for the address
	Accepted     []models.Disclosure
}

// Person is the new customer's own data, in clear.
type Person struct {
	LoginID, Password                      string
	FirstName, MiddleName, LastName, Email string
	SSN, BirthDate, MotherMaidenName       string
}

// Check applies every rule to the application for the FI with its disclosure definitions at
// the moment now. It returns the Plan to store, or Violations listing every failed rule in
// reporting order (D26).
func Check(fi models.Institution, defs []models.Disclosure, a Application, now time.Time) (Plan, error) {
	accepted, ok := acceptedDisclosures(fi.DisclosureAcceptance, a.AcceptedFlag, a.AcceptedIDs, defs)
	s := &subject{a: &a, fi: &fi, now: now, disclosuresOK: ok}
	if v := violations(s); len(v) > 0 {
		return Plan{}, v
	}
	return planOf(fi, a, accepted), nil
}

func planOf(fi models.Institution, a Application, accepted []models.Disclosure) Plan {
	ch := a.Channels[0]
	p := Plan{FI: fi, MemberNumber: a.MemberNumber, HostPIN: a.HostPIN, Accepted: accepted,
		Person: Person{LoginID: ch.LoginID, Password: ch.Password, FirstName: a.FirstName, MiddleName: a.MiddleName,
			LastName: a.LastName, Email: a.Email, SSN: a.SSN, BirthDate: a.BirthDate, MotherMaidenName: a.MotherMaidenName}}
	for _, ad := range a.Addresses {
		p.Addresses = append(p.Addresses, models.CustomerAddress{Address1: ad.Address1, Address2: ad.Address2, Address3: ad.Address3,
			City: ad.City, State: ad.State, PostalCode: ad.PostalCode, Country: strings.ToUpper(ad.Country)})
	}
	for _, ph := range a.Phones {
		p.Phones = append(p.Phones, models.CustomerPhone{Number: ph.Number, CountryCode: ph.CountryCode})
		p.Destinations = append(p.Destinations,
			models.Destination{ContactInfo: ph.Number, CountryCode: ph.CountryCode, Protocol: "VOICE", Activated: true},
			models.Destination{ContactInfo: ph.Number, CountryCode: ph.CountryCode, Protocol: "SMS", Activated: true})
	}
	if a.Email != "" {
		p.Destinations = append(p.Destinations, models.Destination{ContactInfo: a.Email, Protocol: "EMAIL", Activated: true})
	}
	return p
}

// SSNLast4 is the part of the SSN a profile shows.
func (p Plan) SSNLast4() string { return p.Person.SSN[len(p.Person.SSN)-4:] }
