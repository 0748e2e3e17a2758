package webapp

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/custreg/custreg/client"
)

// Call is one API request the app made, as the success page lists it: enough to find it in the
// request inspector (method, path, status, trace id), nothing of its body.
type Call struct {
	At          time.Time
	Method      string
	Path        string
	Status      int // 0 when no answer came
	TraceHeader string
	TraceID     string
}

// recorder is the generated client's HTTP doer: it sends with the app's client and notes each
// call in the session.
type recorder struct {
	http *http.Client
	s    *session
}

func (r recorder) Do(req *http.Request) (*http.Response, error) {
	c := Call{At: time.Now(), Method: req.Method, Path: req.URL.Path}
	for _, h := range []string{"di_tid", "transactionId"} {
		if v := req.Header.Get(h); v != "" {
			c.TraceHeader, c.TraceID = h, v
		}
	}
	resp, err := r.http.Do(req)
	if err == nil {
		c.Status = resp.StatusCode
	}
	r.s.record(c)
	return resp, err
}

func (a *app) api(s *session) (*client.ClientWithResponses, error) {
	return client.NewClientWithResponses(a.cfg.APIBaseURL, client.WithHTTPClient(recorder{a.http, s}))
}

// credentials are the client app this session uses.
func (a *app) credentials(s *session) (keys, bool) {
	if !a.askForKeys() {
		return keys{a.cfg.ClientID, a.cfg.ClientSecret}, true
	}
	if s.keys == nil {
		return keys{}, false
	}
	return *s.keys, true
}

// apiError is an answer other than the one the app asked for, described for the page: the
// status, and the API's codes and messages (which never carry a submitted value).
type apiError struct {
	call   string
	status int
	infos  []client.ErrorInfo
	code   string // the V2 envelopes' code
	msg    string
	cause  error // the request did not get an answer
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: the API did not answer (%v)", e.call, e.cause)
	}
	var parts []string
	for _, i := range e.infos {
		parts = append(parts, fmt.Sprintf("code %s: %s", i.ErrorCode, i.ErrorMessage))
	}
	if e.code != "" {
		parts = append(parts, fmt.Sprintf("code %s: %s", e.code, e.msg))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s: HTTP %d", e.call, e.status)
	}
	return fmt.Sprintf("%s: HTTP %d, %s", e.call, e.status, strings.Join(parts, "; "))
}

// answerError reads an error answer: the legacy Status envelope (JSON or XML) or the V2
// {code, message}.
func answerError(call string, resp *http.Response, body []byte) *apiError {
	e := &apiError{call: call, status: resp.StatusCode}
	var st client.Status
	if json.Unmarshal(body, &st) == nil && len(st.ErrorInfo) > 0 {
		e.infos = st.ErrorInfo
		return e
	}
	var sx xmlStatus
	if xml.Unmarshal(body, &sx) == nil && len(sx.ErrorInfo) > 0 {
		for _, i := range sx.ErrorInfo {
			e.infos = append(e.infos, client.ErrorInfo{ErrorCode: i.ErrorCode, ErrorMessage: i.ErrorMessage, ErrorType: client.ErrorInfoErrorType(i.ErrorType)})
		}
		return e
	}
	var v2 client.ErrorResponse
	if json.Unmarshal(body, &v2) == nil && v2.Code != "" {
		e.code, e.msg = v2.Code, v2.Message
	}
	return e
}

// xmlStatus is the Status envelope in XML, as the V1 token service always answers.
type xmlStatus struct {
	ErrorInfo []struct {
		ErrorType    string `xml:"errorType"`
		ErrorCode    string `xml:"errorCode"`
		ErrorMessage string `xml:"errorMessage"`
	} `xml:"errorInfo"`
}

func transportError(call string, err error) *apiError { return &apiError{call: call, cause: err} }

// tokenV1 gets a V1 client-credentials token for the FI (Register v4 takes it).
//
//	POST /v1/oauth/token   Basic client_id:secret, di_tid, di_fiid; grant_type=client_credentials
func (a *app) tokenV1(ctx context.Context, s *session, k keys) (string, error) {
	api, err := a.api(s)
	if err != nil {
		return "", err
	}
	res, err := api.CreateAccessTokenV1WithFormdataBodyWithResponse(ctx,
		&client.CreateAccessTokenV1Params{DiTid: uuid.New(), DiFiid: a.cfg.FIID},
		client.CreateAccessTokenV1FormdataRequestBody{GrantType: client.TokenV1RequestGrantTypeClientCredentials},
		client.BasicAuth(k.clientID, k.secret))
	if err != nil {
		return "", transportError("V1 token", err)
	}
	if res.XML200 == nil || res.XML200.AccessToken == "" {
		return "", answerError("V1 token", res.HTTPResponse, res.Body)
	}
	return res.XML200.AccessToken, nil
}

// tokenV2 gets a V2 client-credentials token for the FI with the given scopes.
//
//	POST /oauth2/v1/token   Basic client_id:secret, transactionId, institutionId; grant_type, scopes
func (a *app) tokenV2(ctx context.Context, s *session, k keys, scopes string) (string, error) {
	api, err := a.api(s)
	if err != nil {
		return "", err
	}
	fi := a.cfg.FIID
	res, err := api.CreateAccessTokenV2WithFormdataBodyWithResponse(ctx,
		&client.CreateAccessTokenV2Params{TransactionID: uuid.New(), InstitutionID: &fi},
		client.CreateAccessTokenV2FormdataRequestBody{GrantType: client.TokenV2RequestGrantTypeClientCredentials, Scopes: &scopes},
		client.BasicAuth(k.clientID, k.secret))
	if err != nil {
		return "", transportError("V2 token", err)
	}
	if res.JSON200 == nil || res.JSON200.AccessToken == "" {
		return "", answerError("V2 token", res.HTTPResponse, res.Body)
	}
	return res.JSON200.AccessToken, nil
}

// disclosure is one of the FI's disclosures as the last step shows it.
type disclosure struct {
	ID, Name, URL string
	Version       int
	Required      bool
}

// Title is the disclosure's name for people.
func (d disclosure) Title() string {
	switch strings.ToUpper(d.Name) {
	case "IB":
		return "Online Banking Agreement"
	case "ESIGN":
		return "E-Sign Consent"
	case "OLS":
		return "Online Statements Agreement"
	}
	return d.Name
}

// listDisclosures fetches the FI's enabled disclosures.
//
//	POST /oauth2/v1/token (scopes disclosures:read), then
//	GET /v1/institution-disclosures   Bearer, transactionId
func (a *app) listDisclosures(ctx context.Context, s *session, k keys) ([]disclosure, error) {
	token, err := a.tokenV2(ctx, s, k, "disclosures:read")
	if err != nil {
		return nil, err
	}
	api, err := a.api(s)
	if err != nil {
		return nil, err
	}
	res, err := api.ListInstitutionDisclosuresWithResponse(ctx, &client.ListInstitutionDisclosuresParams{TransactionID: uuid.New()},
		client.BearerAuth(token))
	if err != nil {
		return nil, transportError("List disclosures", err)
	}
	if res.JSON200 == nil {
		return nil, answerError("List disclosures", res.HTTPResponse, res.Body)
	}
	var out []disclosure
	for _, d := range res.JSON200.InstitutionDisclosures {
		if d.InstitutionDisclosureStatus != nil && !*d.InstitutionDisclosureStatus {
			continue // disabled: not shown, not asked for
		}
		out = append(out, disclosure{ID: d.InstitutionDisclosureID, Name: deref(d.InstitutionDisclosureName),
			URL: deref(d.InstitutionDisclosureData), Version: derefInt(d.Version), Required: d.Required != nil && *d.Required})
	}
	return out, nil
}

// register submits Register v4 in JSON with everything the session holds.
//
//	POST /v1/oauth/token, then
//	POST /registration/v4/fis/{fi}/fiCustomers   Bearer, di_tid, originating_ip, offering_id; JSON
func (a *app) register(ctx context.Context, s *session, k keys, userIP string) (*result, error) {
	token, err := a.tokenV1(ctx, s, k)
	if err != nil {
		return nil, err
	}
	api, err := a.api(s)
	if err != nil {
		return nil, err
	}
	v := s.values
	var accepted []string
	for _, d := range s.disclosures {
		if s.accepted[d.ID] {
			accepted = append(accepted, d.ID)
		}
	}
	address := client.RegistrationPostalAddress{Address1: ptr(v[fAddress1.name]), City: ptr(v[fCity.name]),
		State: ptr(v[fState.name]), PostalCode: ptr(v[fPostalCode.name]), Country: ptr("US")}
	if v[fAddress2.name] != "" {
		address.Address2 = ptr(v[fAddress2.name])
	}
	name := client.RegistrationPersonName{FirstName: ptr(v[fFirstName.name]), LastName: ptr(v[fLastName.name])}
	if v[fMiddleName.name] != "" {
		name.MiddleName = ptr(v[fMiddleName.name])
	}
	body := client.RegisterCustomerV4JSONRequestBody{FICustomer: client.FICustomerRegistration{
		MemberNumber: ptr(v[fMemberNumber.name]),
		Person: &client.RegistrationPerson{
			PersonName: &name,
			ContactInfo: &client.RegistrationContactInfo{
				EmailAddress:  ptr(v[fEmail.name]),
				PostalAddress: &[]client.RegistrationPostalAddress{address},
				PhoneNumber:   &[]client.RegistrationPhoneNumber{{Number: ptr(v[fPhone.name]), CountryCode: ptr("1")}},
			},
			BirthDate: ptr(v[fBirthDate.name]),
		},
		ChannelInfos: &client.RegistrationChannelInfos{ChannelInfo: &[]client.RegistrationChannelInfo{{
			ChannelType: ptr("TPV_API"),
			Credential:  &client.RegistrationCredential{LoginID: ptr(v[fUsername.name]), Password: ptr(v[fPassword.name])},
		}}},
		// The user ticked every required disclosure (the app checks before it submits), and
		// acceptedDisclosures names exactly the ones ticked, optional ones included: the FI
		// keeps one evidence record for each.
		AcceptedDisclosure:  "true",
		AcceptedDisclosures: &accepted,
		UserType:            ptr("PRIMARY"),
		Ssn:                 ptr(v[fSSN.name]),
		MotherMaidenName:    ptr(v[fMaidenName.name]),
	}}
	params := &client.RegisterCustomerV4Params{DiTid: uuid.New(), OfferingID: &a.cfg.OfferingID}
	if userIP != "" {
		params.OriginatingIP = &userIP
	}
	res, err := api.RegisterCustomerV4WithResponse(ctx, a.cfg.FIID, params, body, client.BearerAuth(token), client.AcceptJSON)
	if err != nil {
		return nil, transportError("Register v4", err)
	}
	if res.JSON200 == nil {
		return nil, answerError("Register v4", res.HTTPResponse, res.Body)
	}
	c := res.JSON200.FICustomer
	out := &result{GUID: c.ID.Value, LoginID: v[fUsername.name], MemberNumber: c.MemberNumber}
	if ch := c.ChannelInfos.ChannelInfo; ch != nil {
		for _, info := range *ch {
			if st := info.UserStatus; st != nil && st.NeedsToAcceptDisclosure != nil && *st.NeedsToAcceptDisclosure {
				out.NeedsToAcceptDisclosure = true
			}
		}
	}
	return out, nil
}

// pointerInMessage finds the field an errorInfo names: Register v4 ends each message with the
// field's path, "Invalid city (FICustomer.person.contactInfo.postalAddress[0].city)".
var pointerInMessage = regexp.MustCompile(`\s*\(FICustomer\.([A-Za-z0-9_.\[\]]+)\)\s*$`)

// apiFields maps the paths of Register v4's body to the form's fields.
var apiFields = map[string]string{
	"memberNumber":                                    fMemberNumber.name,
	"person.personName.firstName":                     fFirstName.name,
	"person.personName.middleName":                    fMiddleName.name,
	"person.personName.lastName":                      fLastName.name,
	"person.personName":                               fFirstName.name, // first and last name too long together
	"person.contactInfo.emailAddress":                 fEmail.name,
	"person.contactInfo.postalAddress":                fAddress1.name,
	"person.contactInfo.postalAddress[0].address1":    fAddress1.name,
	"person.contactInfo.postalAddress[0].address2":    fAddress2.name,
	"person.contactInfo.postalAddress[0].city":        fCity.name,
	"person.contactInfo.postalAddress[0].state":       fState.name,
	"person.contactInfo.postalAddress[0].postalCode":  fPostalCode.name,
	"person.contactInfo.phoneNumber":                  fPhone.name,
	"person.contactInfo.phoneNumber[0].number":        fPhone.name,
	"person.birthDate":                                fBirthDate.name,
	"channelInfos.channelInfo[0].credential.loginId":  fUsername.name,
	"channelInfos.channelInfo[0].credential.password": fPassword.name,
	"acceptedDisclosure":                              disclosuresField,
	"acceptedDisclosures":                             disclosuresField,
	"ssn":                                             fSSN.name,
	"motherMaidenName":                                fMaidenName.name,
}

// apiCodes places the codes whose message might name no field (docs/registration.md).
var apiCodes = map[string]string{
	"26201": fUsername.name, "220015": fUsername.name, "220016": fUsername.name, "220019": fUsername.name,
	"220018": fPassword.name, "26331": fMemberNumber.name, "220001": fSSN.name, "220012": fMaidenName.name,
	"220013": fBirthDate.name, "220014": fPhone.name, "220006": fEmail.name, "220020": disclosuresField,
}

// disclosuresField is where errors about the disclosures as a whole are shown.
const disclosuresField = "disclosures"

// placeError says at which form field an errorInfo belongs ("" for none) and the message to
// show there: the API's own, without the path, with its code.
func placeError(info client.ErrorInfo) (fieldName, message string) {
	msg := info.ErrorMessage
	if m := pointerInMessage.FindStringSubmatchIndex(msg); m != nil {
		fieldName = apiFields[msg[m[2]:m[3]]]
		msg = msg[:m[0]]
	}
	if fieldName == "" {
		fieldName = apiCodes[info.ErrorCode]
	}
	if msg == "" {
		msg = "The registration service refused this value"
	}
	return fieldName, fmt.Sprintf("%s (code %s)", msg, info.ErrorCode)
}

// clientIP is the visitor's address, sent as originating_ip (the FI keeps it with the
// disclosure evidence).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || net.ParseIP(host) == nil {
		return ""
	}
	return host
}

func isTransport(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.cause != nil
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(i *int) int {
	if i == nil {
		return 0
	}
	return *i
}
