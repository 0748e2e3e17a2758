package handlers

import (
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
)

// toApplication converts a decoded Register v4 body into the domain's plain application for the
// FI of the path.
func toApplication(fiID string, in *gen.FICustomerRegistration) registration.Application {
	a := registration.Application{FIID: fiID, MemberNumber: str(in.MemberNumber), AcceptedFlag: in.AcceptedDisclosure,
		UserType: str(in.UserType), SSN: str(in.Ssn), MotherMaidenName: str(in.MotherMaidenName)}
	if in.FiID != nil && in.FiID.Value != nil {
		a.BodyFIID = in.FiID.Value
	}
	if in.AcceptedDisclosures != nil {
		a.AcceptedIDs = append([]string{}, *in.AcceptedDisclosures...) // sent, maybe empty: not nil
	}
	if in.HostCredential != nil {
		a.HostPIN = str(in.HostCredential.Password)
	}
	if p := in.Person; p != nil {
		a.BirthDate = str(p.BirthDate)
		if n := p.PersonName; n != nil {
			a.FirstName, a.MiddleName, a.LastName = str(n.FirstName), str(n.MiddleName), str(n.LastName)
		}
		if c := p.ContactInfo; c != nil {
			a.Email = str(c.EmailAddress)
			for _, ad := range deref0(c.PostalAddress) {
				a.Addresses = append(a.Addresses, registration.Address{Address1: str(ad.Address1), Address2: str(ad.Address2),
					Address3: str(ad.Address3), City: str(ad.City), State: str(ad.State), PostalCode: str(ad.PostalCode), Country: str(ad.Country)})
			}
			for _, ph := range deref0(c.PhoneNumber) {
				a.Phones = append(a.Phones, registration.Phone{Number: str(ph.Number), CountryCode: str(ph.CountryCode)})
			}
		}
	}
	if in.ChannelInfos != nil {
		for _, ch := range deref0(in.ChannelInfos.ChannelInfo) {
			c := registration.Channel{Type: str(ch.ChannelType)}
			if ch.Credential != nil {
				c.LoginID, c.Password = str(ch.Credential.LoginID), str(ch.Credential.Password)
			}
			a.Channels = append(a.Channels, c)
		}
	}
	return a
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func deref0[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

// toApplicationV2 converts a decoded Customer v2 registration into the same plain application a
// Register v4 body becomes, for the token's FI: its one channel (channelType, TPV_API when not
// sent, loginId, password), its one postal address, its contact method as the one phone, and
// userRole as Register v4's userType (both say PRIMARY).
func toApplicationV2(fiID string, in *gen.CustomerRegistrationRequest) registration.Application {
	a := registration.Application{FIID: fiID, BodyFIID: &in.FiID, MemberNumber: in.MemberNumber,
		FirstName: in.FirstName, MiddleName: str(in.MiddleName), LastName: in.LastName, Email: in.EmailAddress,
		BirthDate: in.BirthDate, UserType: str(in.UserRole), SSN: in.Ssn, MotherMaidenName: in.MotherMaidenName,
		HostPIN: str(in.HostPassword)}
	if in.AcceptedDisclosure != nil {
		a.AcceptedFlag = *in.AcceptedDisclosure // absent stays nil: not accepted
	}
	ad := in.PostalAddress
	a.Addresses = []registration.Address{{Address1: ad.Address1, Address2: ad.Address2, Address3: str(ad.Address3),
		City: ad.City, State: ad.State, PostalCode: ad.PostalCode, Country: ad.Country}}
	a.Phones = []registration.Phone{{Number: in.ContactInfo.ContactInfo, CountryCode: str(in.ContactInfo.TelephoneCountryCode)}}
	channel := models.ChannelTPVAPI
	if in.ChannelType != nil {
		channel = *in.ChannelType
	}
	a.Channels = []registration.Channel{{Type: channel, LoginID: in.LoginID, Password: in.Password}}
	return a
}

// toRegisteredV2 is the Customer v2 registration's answer: the new user's identifiers, named as
// CustomerInformation names them (userId the institution user id, loginId the authentication
// id), and its enrolment state; nothing personal.
func toRegisteredV2(done *db.Registered) gen.CustomerRegistrationResponse {
	c := done.Customer
	return gen.CustomerRegistrationResponse{CustomerID: c.ID, UserID: c.InstitutionUserID, LoginID: c.AuthID, UserName: c.LoginID,
		FiID: c.InstitutionID, MemberNumber: done.Member.MemberNumber, Registered: c.Registered, AcceptedDisclosure: c.AcceptedDisclosure}
}
