package registration

// Application is a registration request as the applicant filled it in, in Register v4's terms
// (the Customer v2 adapter converts its flat body into the same): plain values, "" for a field
// not sent.
type Application struct {
	FIID         string  // the FI of the request path (Customer v2: of the token)
	BodyFIID     *string // FICustomer.fiId.value (Customer v2: fiId), when sent
	MemberNumber string
	FirstName    string
	MiddleName   string
	LastName     string
	Email        string
	Addresses    []Address
	Phones       []Phone
	BirthDate    string // yyyy-MM-dd
	Channels     []Channel
	// AcceptedFlag is acceptedDisclosure as sent: nil, a bool, or a string (D3).
	AcceptedFlag any
	// AcceptedIDs is acceptedDisclosures: nil when not sent, else the listed ids (maybe none).
	AcceptedIDs      []string
	UserType         string
	SSN              string
	MotherMaidenName string
	HostPIN          string // hostCredential.password
}

// Address is one postal address.
type Address struct {
	Address1, Address2, Address3, City, State, PostalCode, Country string
}

// Phone is one phone number.
type Phone struct {
	Number, CountryCode string
}

// Channel is one channelInfo: its type and credential.
type Channel struct {
	Type, LoginID, Password string
}
