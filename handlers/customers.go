package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
)

// The Customer v2 ("ux-users") family names its user by a customerId path parameter, a
// customer GUID or (userIdType=LOGIN_ID) a username, always of the token's FI.

// customerOf resolves the customerId of a Customer v2 request to a customer of the token's FI.
// An unknown user and another FI's are answered alike: 404 UXU_10000. A user-bound token (where
// the operation's policy says OwnUserOnly) may name only its own user; anything else, existing
// or not, is 400 UXU_10011, so such a token learns nothing about other users.
func (s *Server) customerOf(ctx context.Context, ref, idType string) (*models.Customer, error) {
	caller := infoFrom(ctx).principal
	tok := caller.token
	c, err := s.store.CustomerByRef(ctx, tok.InstitutionID, idType, ref)
	if caller.kind.UserBound() && caller.policy.OwnUserOnly {
		if errors.Is(err, models.ErrNotFound) || (err == nil && (tok.CustomerID == nil || *tok.CustomerID != c.ID)) {
			return nil, problem(http.StatusBadRequest, uxuNotTokenUser, "path:customerId",
				"The token's user does not match the customerId path parameter")
		}
	}
	if errors.Is(err, models.ErrNotFound) {
		return nil, problem(http.StatusNotFound, uxuNotFound, "path:customerId", "No entitled customers found for the specified id")
	}
	return c, err
}

// actorOf is who acts in this request, for the audit trail.
func actorOf(ctx context.Context) db.Actor {
	info := infoFrom(ctx)
	a := db.Actor{TraceID: info.traceID}
	if p := info.principal; p != nil && p.token != nil {
		a.ClientAppID, a.OfferingID = p.token.ClientAppID, p.token.OfferingID
	}
	return a
}

// idTypeOf reads an optional userIdType enum of any Customer v2 operation.
func idTypeOf[T ~string](v *T) string {
	if v == nil {
		return db.ByCustomerID
	}
	return string(*v)
}

// UnlockUser clears a user's password-grant lockout (contract: PUT {customerId}:unlock-user).
func (s *Server) UnlockUser(ctx context.Context, req gen.UnlockUserRequestObject) (gen.UnlockUserResponseObject, error) {
	c, err := s.customerOf(ctx, req.CustomerID, idTypeOf(req.Params.UserIDType))
	if err != nil {
		return nil, err
	}
	if err := s.store.UnlockCustomer(ctx, c, actorOf(ctx), s.now()); err != nil {
		return nil, err
	}
	return gen.UnlockUser204Response{}, nil
}
