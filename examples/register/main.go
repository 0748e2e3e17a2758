// Command register enrols a new customer at a custreg sandbox through the typed Go client
// (package client): a V1 token, Register v4 in JSON with identifiers no earlier run used, and
// Get FI Customer to read the registration back. It prints the customer GUID.
//
//	go run . --sandbox                    # in one shell: the sandbox on 127.0.0.1:8080
//	go run ./examples/register            # in another
//	go run ./examples/register -base-url http://127.0.0.1:9090 -fi 01111
//
// The flags default to the sandbox's identifiers; CUSTREG_BASE_URL overrides the base URL.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/custreg/custreg/client"
)

// Options say where to register and as which client app.
type Options struct {
	BaseURL      string
	FI           string
	ClientID     string
	ClientSecret string
	// HTTPClient sends the requests; nil means a client with a 30-second timeout.
	HTTPClient *http.Client
}

// Registration is what Register returns: the identifiers it generated and the customer's GUID.
type Registration struct {
	MemberNumber string
	LoginID      string
	GUID         string
}

func main() {
	opts := Options{}
	flag.StringVar(&opts.BaseURL, "base-url", envOr("CUSTREG_BASE_URL", "http://127.0.0.1:8080"), "the service's base URL (env CUSTREG_BASE_URL)")
	flag.StringVar(&opts.FI, "fi", "01111", "the FI to register at")
	flag.StringVar(&opts.ClientID, "client-id", "sandbox-app", "the client app's id (Shared Key)")
	flag.StringVar(&opts.ClientSecret, "client-secret", "sandbox-secret", "the client app's secret (Secret Key)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg, err := Register(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		os.Exit(1)
	}
	report(os.Stdout, reg)
}

func report(w io.Writer, reg Registration) {
	fmt.Fprintf(w, "registered %s (member %s)\ncustomer GUID: %s\n", reg.LoginID, reg.MemberNumber, reg.GUID)
}

// Register obtains a V1 token, registers a new member with fresh identifiers and confirms the
// registration with Get FI Customer.
func Register(ctx context.Context, opts Options) (Registration, error) {
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	api, err := client.NewClientWithResponses(opts.BaseURL, client.WithHTTPClient(httpClient))
	if err != nil {
		return Registration{}, err
	}

	// 1. A V1 token for the FI. The answer is always XML <token> (the client decodes it).
	tok, err := api.CreateAccessTokenV1WithFormdataBodyWithResponse(ctx,
		&client.CreateAccessTokenV1Params{DiTid: uuid.New(), DiFiid: opts.FI},
		client.CreateAccessTokenV1FormdataRequestBody{GrantType: client.TokenV1RequestGrantTypeClientCredentials},
		client.BasicAuth(opts.ClientID, opts.ClientSecret))
	if err != nil {
		return Registration{}, fmt.Errorf("V1 token: %w", err)
	}
	if tok.XML200 == nil || tok.XML200.AccessToken == "" {
		return Registration{}, fmt.Errorf("V1 token: %s", failure(tok.HTTPResponse, tok.Body))
	}
	bearer := client.BearerAuth(tok.XML200.AccessToken)

	// 2. Register v4 in JSON. Every run uses a new member number, login id and SSN, so the
	//    example can run again and again against the same sandbox. The login id has 12
	//    characters, within both sandbox FIs' ranges (01111: 8–20, 02222: 6–12).
	reg := Registration{MemberNumber: "GO" + randomString(upperAlnum, 12), LoginID: "go_" + randomString(lowerAlnum, 9)}
	body := client.RegisterCustomerV4JSONRequestBody{FICustomer: client.FICustomerRegistration{
		MemberNumber: ptr(reg.MemberNumber),
		Person: &client.RegistrationPerson{
			PersonName: &client.RegistrationPersonName{FirstName: ptr("Jordan"), LastName: ptr("Rivera")},
			ContactInfo: &client.RegistrationContactInfo{
				EmailAddress: ptr(reg.LoginID + "@example.com"),
				PostalAddress: &[]client.RegistrationPostalAddress{{
					Address1: ptr("200 Oak Ave"), City: ptr("Springfield"), State: ptr("IL"), PostalCode: ptr("62704"), Country: ptr("US"),
				}},
				PhoneNumber: &[]client.RegistrationPhoneNumber{{Number: ptr("2175550142"), CountryCode: ptr("1")}},
			},
			BirthDate: ptr("1991-04-12"),
		},
		ChannelInfos: &client.RegistrationChannelInfos{ChannelInfo: &[]client.RegistrationChannelInfo{{
			ChannelType: ptr("TPV_API"),
			Credential:  &client.RegistrationCredential{LoginID: ptr(reg.LoginID), Password: ptr("Go!Gopher42")},
		}}},
		// FI 01111 asks for its required disclosures at registration; FI 02222 at first
		// login (the user is registered once they accept).
		AcceptedDisclosure: "true",
		UserType:           ptr("PRIMARY"),
		Ssn:                ptr(randomSSN()),
		MotherMaidenName:   ptr("Smith"),
	}}
	created, err := api.RegisterCustomerV4WithResponse(ctx, opts.FI,
		&client.RegisterCustomerV4Params{DiTid: uuid.New(), OfferingID: ptr("custreg-go-example")}, body, bearer, client.AcceptJSON)
	if err != nil {
		return Registration{}, fmt.Errorf("Register v4: %w", err)
	}
	if created.JSON200 == nil {
		return Registration{}, fmt.Errorf("Register v4: %s", failure(created.HTTPResponse, created.Body))
	}
	reg.GUID = created.JSON200.FICustomer.ID.Value

	// 3. Read it back by GUID.
	byGUID := client.GetCustomerV2ParamsFiCustomerIDTypeGUID
	got, err := api.GetCustomerV2WithResponse(ctx, opts.FI, reg.GUID,
		&client.GetCustomerV2Params{DiTid: uuid.New(), FiCustomerIDType: &byGUID}, bearer, client.AcceptJSON)
	if err != nil {
		return Registration{}, fmt.Errorf("get FI customer: %w", err)
	}
	if got.JSON200 == nil {
		return Registration{}, fmt.Errorf("get FI customer: %s", failure(got.HTTPResponse, got.Body))
	}
	if c := *got.JSON200; c.MemberNumber != reg.MemberNumber || !registered(c) {
		return Registration{}, fmt.Errorf("get FI customer: customer %s is member %q, registered=%t", reg.GUID, c.MemberNumber, registered(c))
	}
	return reg, nil
}

// registered reports whether the customer's channel says the registration is complete, or
// waits only for the user to accept the FI's disclosures at first login (FI 02222's policy).
func registered(c client.FICustomer) bool {
	if c.ChannelInfos.ChannelInfo == nil {
		return false
	}
	for _, ch := range *c.ChannelInfos.ChannelInfo {
		if s := ch.UserStatus; s != nil && (isTrue(s.Registered) || isTrue(s.NeedsToAcceptDisclosure)) {
			return true
		}
	}
	return false
}

func isTrue(b *bool) bool { return b != nil && *b }

// failure describes an unexpected answer: status and body (error bodies carry no secrets).
func failure(resp *http.Response, body []byte) error {
	return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[randomInt(0, len(alphabet)-1)]
	}
	return string(b)
}

// randomSSN returns a possibly-issued SSN: area 001-665 or 667-899, group 01-99, serial 0001-9999.
func randomSSN() string {
	area := randomInt(1, 898)
	if area >= 666 {
		area++
	}
	return fmt.Sprintf("%03d%02d%04d", area, randomInt(1, 99), randomInt(1, 9999))
}

// randomInt returns a random integer in [lo, hi]. Uniqueness, not secrecy, is the point here.
func randomInt(lo, hi int) int { return lo + rand.IntN(hi-lo+1) }

func ptr[T any](v T) *T { return &v }

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
