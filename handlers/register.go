package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/oapi-codegen/runtime"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/registration"
	"github.com/custreg/custreg/secure"
	"github.com/custreg/custreg/xmlcodec"
)

// RegisterCustomerV4 registers a customer (contract §5): decode, then the one registration flow
// (enrol), answering the profile in the negotiated media type.
func (s *Server) RegisterCustomerV4(ctx context.Context, req gen.RegisterCustomerV4RequestObject) (gen.RegisterCustomerV4ResponseObject, error) {
	info := infoFrom(ctx)
	body, err := s.decodeRegistration(ctx, req)
	if err != nil {
		return nil, err
	}
	origin, err := s.registrationOrigin(ctx, req, body)
	if err != nil {
		return nil, err
	}
	reply, err := s.enrol(ctx, registerV4, req.DiFiid, toApplication(req.DiFiid, body), origin,
		func(plan registration.Plan, done *db.Registered) ([]byte, string, error) {
			view := &db.CustomerView{Customer: done.Customer, Addresses: done.Addresses, Phones: done.Phones, Destinations: done.Destinations}
			pii := db.CustomerPII{SSNLast4: plan.SSNLast4(), BirthDate: plan.Person.BirthDate, MotherMaidenName: plan.Person.MotherMaidenName}
			return s.encodeRegistered(info.mediaType, toAPICustomer(view, pii))
		})
	if err != nil {
		return nil, err
	}
	return registerResponse(reply.ContentType, reply.Body), nil
}

// adapter is an operation that registers customers: its name as the strict server knows it (for
// the outcome table) and its family, which together decide the codes its failures get.
type adapter struct {
	op     string
	family family
}

// The two registration adapters over package registration.
var (
	registerV4 = adapter{op: "RegisterCustomerV4", family: famLegacy}
	registerV2 = adapter{op: "RegisterCustomerV2", family: famCustomers}
)

// renderFunc draws an adapter's success answer from the checked plan and what the store created;
// it runs inside the registration's transaction (db.ReplyFunc).
type renderFunc func(registration.Plan, *db.Registered) (body []byte, contentType string, err error)

// enrol is the registration flow both adapters share: replay a repeated request (D7), check the
// application against the FI's rules and disclosure policy, store it in one call, and audit the
// outcome. It returns the answer to send — fresh or replayed — or the cause of a refusal for the
// error handler, which renders it in the adapter's family.
func (s *Server) enrol(ctx context.Context, ad adapter, fiID string, a registration.Application, origin db.Origin, render renderFunc) (*db.Reply, error) {
	// Idempotency: the same key and body replay the first answer; another body, or the first
	// request still running, is models.ErrInFlight.
	if prev, err := s.store.Replay(ctx, origin); err != nil || prev != nil {
		return prev, err
	}
	now := s.now()
	fi, defs, app, err := s.store.RegistrationContext(ctx, fiID, origin.ClientAppID)
	if err != nil {
		return nil, err
	}
	if origin.OfferingID == "" {
		origin.OfferingID = app.OfferingID
	}
	plan, err := registration.Check(*fi, defs, a, now)
	if err != nil {
		return nil, s.registrationFailed(ctx, ad, fi.ID, app, origin, err, now)
	}
	// The reply is rendered inside the registration's transaction and stored with it.
	var reply db.Reply
	_, prev, err := s.store.Register(ctx, plan, origin, func(done *db.Registered) ([]byte, string, error) {
		var err error
		reply.Body, reply.ContentType, err = render(plan, done)
		return reply.Body, reply.ContentType, err
	}, now)
	switch {
	case err != nil:
		return nil, s.registrationFailed(ctx, ad, fi.ID, app, origin, err, now)
	case prev != nil:
		return prev, nil
	}
	s.auditLog(ctx, fi.ID, app, origin, models.OutcomeSuccess, "")
	return &reply, nil
}

// registrationOrigin says where a registration comes from: app, offering and device address
// (from the headers when sent), di_tid, and the hash identifying its body for idempotency.
func (s *Server) registrationOrigin(ctx context.Context, req gen.RegisterCustomerV4RequestObject, body *gen.FICustomerRegistration) (db.Origin, error) {
	info := infoFrom(ctx)
	canonical, err := json.Marshal(struct {
		FI   string
		Body *gen.FICustomerRegistration
	}{req.DiFiid, body})
	if err != nil {
		return db.Origin{}, err
	}
	sum := sha256.Sum256(canonical)
	o := db.Origin{ClientAppID: info.principal.token.ClientAppID, OfferingID: deref(req.Params.OfferingID), OriginatingIP: info.clientIP,
		TraceID: req.Params.DiTid.String(), RequestHash: hex.EncodeToString(sum[:])}
	if ip := deref(req.Params.OriginatingIP); ip != "" {
		o.OriginatingIP = ip
	}
	return o, nil
}

// registrationFailed audits a refused attempt (with the codes its answer will carry) and returns
// the cause for the error handler to render.
func (s *Server) registrationFailed(ctx context.Context, ad adapter, fiID string, app *models.ClientApp, o db.Origin, err error, now time.Time) error {
	codes := problemCodes(plainProblems(ad.family, ad.op, err))
	s.auditLog(ctx, fiID, app, o, models.OutcomeFailure, codes)
	cleanup, cancel := db.CleanupContext(ctx)
	defer cancel()
	if rerr := s.store.RecordRegistrationFailure(cleanup, fiID, o, codes, now); rerr != nil {
		s.log.ErrorContext(ctx, "record audit event", "error", rerr)
	}
	return err
}

// auditLog writes the RegistrationUser audit line (the event itself is in the database).
func (s *Server) auditLog(ctx context.Context, fiID string, app *models.ClientApp, o db.Origin, outcome, codes string) {
	ev := db.RegistrationAudit(fiID, o, outcome, codes, nil, time.Time{})
	s.log.InfoContext(ctx, "audit", "event", ev.Event, "channel", ev.ChannelType, "product", ev.UserProduct,
		"fi", fiID, "client_id", app.ClientID, "trace_id", o.TraceID, "outcome", outcome, "error_codes", codes)
}

func registerResponse(ctype string, body []byte) gen.RegisterCustomerV4ResponseObject {
	if ctype == "application/json" {
		return rawJSON200(body)
	}
	return gen.RegisterCustomerV4200ApplicationXMLResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}
}

// rawJSON200 is an already-encoded JSON profile answered with 200 (replays must be
// byte-identical, so bodies are encoded once and written as they are).
type rawJSON200 []byte

func (r rawJSON200) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(r)
	return err
}

func (r rawJSON200) VisitRegisterCustomerV4Response(w http.ResponseWriter) error { return r.write(w) }

func (r rawJSON200) VisitGetCustomerV2Response(w http.ResponseWriter) error { return r.write(w) }

// decodeRegistration binds the JSON or XML body (both validated against the same schema) into one
// request type, matching member names exactly: encoding/json alone would also take "SSN" for
// "ssn", letting an unvalidated value through.
func (s *Server) decodeRegistration(ctx context.Context, req gen.RegisterCustomerV4RequestObject) (*gen.FICustomerRegistration, error) {
	raw := infoFrom(ctx).body
	var doc any
	var err error
	switch {
	case req.JSONBody != nil && raw != nil:
		err = json.Unmarshal(raw, &doc)
	case req.Body != nil:
		// The XML document is the FICustomer element itself; wrap it like the JSON body.
		var inner map[string]any
		inner, err = xmlcodec.Decode(req.Body, s.spec.Components.Schemas["FICustomerRegistration"].Value)
		doc = map[string]any{"FICustomer": inner}
	default:
		err = errors.New("no request body")
	}
	var body gen.RegisterCustomerRequest
	if err == nil {
		err = runtime.BindJSONValue(doc, &body)
	}
	if err != nil {
		return nil, violationProblem(registration.Violation{Code: registration.CodeInvalidInput})
	}
	return &body.FICustomer, nil
}

// problemCodes lists the codes of an answer, for the audit event.
func problemCodes(ps Problems) string {
	codes := make([]string, len(ps))
	for i, p := range ps {
		codes[i] = p.Code
	}
	return strings.Join(codes, " ")
}

// encodeRegistered renders Register v4's profile in the negotiated media type: JSON wrapped in
// {"FICustomer": …} (the official RegisterCustomerResponse), XML <FICustomer> in Register v4's
// element order.
func (s *Server) encodeRegistered(mediaType string, c gen.FICustomer) ([]byte, string, error) {
	if mediaType == "application/json" {
		b, err := json.Marshal(gen.FICustomerResponse{FICustomer: gen.RegisteredCustomer(c)})
		return b, "application/json", err
	}
	b, err := s.marshalXML("FICustomer", "", "RegisteredCustomer", gen.RegisteredCustomer(c))
	return b, "application/xml", err
}

// encodeCustomer renders Get FI Customer's profile in the negotiated media type: JSON the bare
// FICustomer object (the official schema), XML <FICustomer> in the official FICustomer's order.
func (s *Server) encodeCustomer(mediaType string, c gen.FICustomer) ([]byte, string, error) {
	if mediaType == "application/json" {
		b, err := json.Marshal(c)
		return b, "application/json", err
	}
	b, err := s.marshalXML("FICustomer", "", "FICustomer", c)
	return b, "application/xml", err
}

// toAPICustomer converts a stored customer into the FICustomer profile: never a password, the
// SSN masked to its last four digits (D2, D25).
func toAPICustomer(v *db.CustomerView, pii db.CustomerPII) gen.FICustomer {
	c := v.Customer
	out := gen.FICustomer{AuthID: c.AuthID, MemberNumber: c.Member.MemberNumber, UserType: c.UserType, AcceptedDisclosure: c.AcceptedDisclosure}
	out.ID.Value, out.ID.Type = c.ID, gen.CustomerIDTypeGUID
	out.FiID.Value = c.InstitutionID
	if c.Member.Name != "" {
		out.Name = &c.Member.Name
	}
	regDate := c.CreatedAt.UTC().Format("2006-01-02") + "+00:00"
	out.MemberRegistrationDate = &regDate
	name := gen.PersonName{FirstName: ptr(c.FirstName), LastName: ptr(c.LastName)}
	if c.MiddleName != "" {
		name.MiddleName = ptr(c.MiddleName)
	}
	contact := gen.ContactInfo{}
	if c.Email != "" {
		contact.EmailAddress = ptr(c.Email)
	}
	addrs := make([]gen.PostalAddress, 0, len(v.Addresses))
	for _, a := range v.Addresses {
		pa := gen.PostalAddress{Address1: ptr(a.Address1), City: ptr(a.City), State: ptr(a.State), PostalCode: ptr(a.PostalCode), Country: ptr(a.Country)}
		if a.Address2 != "" {
			pa.Address2 = ptr(a.Address2)
		}
		if a.Address3 != "" {
			pa.Address3 = ptr(a.Address3)
		}
		addrs = append(addrs, pa)
	}
	contact.PostalAddress = &addrs
	phones := make([]gen.PhoneNumber, 0, len(v.Phones))
	for _, p := range v.Phones {
		pn := gen.PhoneNumber{Number: p.Number}
		if p.CountryCode != "" {
			pn.CountryCode = ptr(p.CountryCode)
		}
		phones = append(phones, pn)
	}
	contact.PhoneNumber = &phones
	out.Person = gen.Person{PersonName: &name, ContactInfo: &contact}
	if pii.BirthDate != "" {
		out.Person.BirthDate = ptr(pii.BirthDate)
	}
	status := gen.UserStatus{
		AcceptedDisclosure: ptr(c.AcceptedDisclosure), Active: ptr(!c.Locked), Locked: ptr(c.Locked), OnHold: ptr(false),
		Registered: ptr(c.Registered), Reset: ptr(false), NeedsToAcceptDisclosure: ptr(c.NeedsToAcceptDisclosure),
		NeedsToAcceptSecondaryDisclosure: ptr(false), MustChangePassword: ptr(false), TemporaryPassword: ptr(false),
		NewUser: ptr(c.LastLoginAt == nil), FiApprovalPending: ptr(false), FiApproved: ptr(true), FiRejected: ptr(false),
		Deleted: ptr(false), Limbo: ptr(false),
	}
	ch := gen.ChannelInfo{ChannelType: gen.ChannelInfoChannelType(c.ChannelType), Credential: &gen.Credential{LoginID: ptr(c.LoginID)},
		FailedLoginCount: ptr(c.FailedLoginCount), UserStatus: &status}
	if c.LastLoginAt != nil {
		ch.LastLoginDateTime = ptr(c.LastLoginAt.UTC().Format("2006-01-02T15:04:05-07:00"))
	}
	out.ChannelInfos.ChannelInfo = &[]gen.ChannelInfo{ch}
	out.HostCredential = &gen.HostCredential{LoginID: ptr(c.HostLoginID)}
	out.BillPayEnabled = ptr(c.BillPayEnabled)
	dests := make([]gen.Destination, 0, len(v.Destinations))
	for _, d := range v.Destinations {
		dests = append(dests, gen.Destination{ContactInfo: d.ContactInfo, Protocol: gen.DestinationProtocol(d.Protocol), Activated: d.Activated})
	}
	out.Destinations = &gen.Destinations{Destination: &dests}
	if pii.SSNLast4 != "" {
		out.Ssn = ptr(secure.MaskLast4("00000" + pii.SSNLast4))
	}
	if pii.MotherMaidenName != "" {
		out.MotherMaidenName = ptr(pii.MotherMaidenName)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// GetCustomerV2 reads a customer of the token's FI (contract §6).
func (s *Server) GetCustomerV2(ctx context.Context, req gen.GetCustomerV2RequestObject) (gen.GetCustomerV2ResponseObject, error) {
	idType := "GUID"
	if req.Params.FiCustomerIDType != nil {
		idType = string(*req.Params.FiCustomerIDType)
	}
	caller := infoFrom(ctx).principal
	v, err := s.store.FindCustomer(ctx, req.FiID, idType, req.FiCustomerID)
	if caller.kind.UserBound() && caller.policy.OwnUserOnly {
		// A user's token reads only its own profile; whether another customer exists is not
		// its business, so a missing one gets the same answer.
		if errors.Is(err, models.ErrNotFound) || (err == nil && (caller.token.CustomerID == nil || *caller.token.CustomerID != v.Customer.ID)) {
			return nil, notAuthorised(famLegacy, "Token is not authorised for this customer")
		}
	}
	if err != nil {
		return nil, err // not found: 20404 by the outcome table
	}
	pii, err := s.store.CustomerPII(&v.Customer)
	if err != nil {
		return nil, err
	}
	out, ctype, err := s.encodeCustomer(infoFrom(ctx).mediaType, toAPICustomer(v, pii))
	if err != nil {
		return nil, err
	}
	if ctype == "application/json" {
		return rawJSON200(out), nil
	}
	return gen.GetCustomerV2200ApplicationXMLResponse{Body: bytes.NewReader(out), ContentLength: int64(len(out))}, nil
}
