package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/notify"
	"github.com/custreg/custreg/recovery"
	"github.com/custreg/custreg/registration"
)

// passcodeText is the message a user receives. It names no FI and no account: whoever reads
// it over the user's shoulder learns only that a reset is under way.
const passcodeText = "Your digital banking passcode is %s. It expires in %d minutes. We will never ask you for it."

// ResetPassword sends a one-time passcode to one of the user's contact methods (contract:
// PUT {customerId}:reset-password).
func (s *Server) ResetPassword(ctx context.Context, req gen.ResetPasswordRequestObject) (gen.ResetPasswordResponseObject, error) {
	tok := infoFrom(ctx).principal.token
	var protocol string
	if req.Body.Protocol != nil {
		protocol = string(*req.Body.Protocol)
	}
	d, err := s.store.StartPasswordReset(ctx, tok.InstitutionID, req.CustomerID, idTypeOf(req.Params.UserIDType),
		req.Body.ContactMethodID, protocol, actorOf(ctx), s.now())
	if err != nil {
		return nil, s.recoveryFailure(ctx, db.AuditPasswordResetRequest, resetProblem(err))
	}
	msg := notify.Message{InstitutionID: d.InstitutionID, To: d.To, Channel: d.Channel, Subject: "Your passcode",
		Body: fmt.Sprintf(passcodeText, d.Passcode, int(recovery.Validity.Minutes())), Passcode: d.Passcode}
	err = notify.ErrNotConfigured
	if s.notifier != nil {
		err = s.notifier.Send(ctx, msg)
	}
	if err != nil {
		s.log.WarnContext(ctx, "passcode delivery failed", "channel", d.Channel, "challenge", d.ChallengeID, "error", err)
		return nil, s.recoveryFailure(ctx, db.AuditPasswordResetRequest,
			problem(http.StatusServiceUnavailable, uxuExternalService, "", "The passcode could not be delivered; try again later"))
	}
	return gen.ResetPassword204Response{}, nil
}

// resetProblem is the answer to a refused passcode request.
func resetProblem(err error) error {
	switch {
	case errors.Is(err, models.ErrNotFound):
		return problem(http.StatusNotFound, uxuNotFound, "path:customerId", "No entitled customers found for the specified id")
	case errors.Is(err, models.ErrContactMethodNotFound):
		return problem(http.StatusBadRequest, uxuContactMethodNotFound, "/contactMethodId", "Contact method Id not found")
	case errors.Is(err, models.ErrProtocolMismatch):
		return problem(http.StatusBadRequest, uxuContactMethodNotFound, "/protocol", "The protocol cannot reach that contact method")
	case errors.Is(err, models.ErrTooManyResets):
		p := problem(http.StatusTooManyRequests, uxuTooManyPasscodes, "", "Too many passcodes requested; try again later")
		p.RetryAfter = int(recovery.SendWindow.Seconds())
		return p
	}
	return err
}

// CompletePasswordReset sets a new password with the passcode (our extension: PUT
// {customerId}:complete-password-reset).
func (s *Server) CompletePasswordReset(ctx context.Context, req gen.CompletePasswordResetRequestObject) (gen.CompletePasswordResetResponseObject, error) {
	tok := infoFrom(ctx).principal.token
	_, err := s.store.CompletePasswordReset(ctx, tok.InstitutionID, req.CustomerID, idTypeOf(req.Params.UserIDType),
		req.Body.Passcode, req.Body.NewPassword, actorOf(ctx), s.now())
	if err != nil {
		return nil, s.recoveryFailure(ctx, db.AuditPasswordReset, completeProblem(err))
	}
	return gen.CompletePasswordReset204Response{}, nil
}

// completeProblem is the answer to a refused password reset. An unknown user is answered like
// a known one without a passcode outstanding (expired), so the extension tells nobody who
// exists; "wrong passcode" needs an outstanding one, which only a reset-password call that
// found the user can have made.
func completeProblem(err error) error {
	var vs registration.Violations
	switch {
	case errors.As(err, &vs):
		return problem(http.StatusBadRequest, uxuPassword, "/newPassword", "The new password does not meet the password policy")
	case errors.Is(err, models.ErrPasscodeTriesExhausted), errors.Is(err, models.ErrPasscodeExpired), errors.Is(err, models.ErrPasscodeUsed),
		errors.Is(err, models.ErrNotFound):
		return problem(http.StatusBadRequest, uxuPasscodeSpent, "/passcode", "The passcode has expired or been used; request a new one")
	case errors.Is(err, models.ErrPasscodeWrong):
		return problem(http.StatusBadRequest, uxuPasscodeInvalid, "/passcode", "The passcode is not valid")
	}
	return err
}

// recoveryFailure audits a refused recovery step with its wire code, then returns the answer.
func (s *Server) recoveryFailure(ctx context.Context, event string, answer error) error {
	var p *Problem
	if !errors.As(answer, &p) {
		return answer // not the caller's fault: the error handler answers and logs it
	}
	tok := infoFrom(ctx).principal.token
	if err := s.store.RecordPasswordResetFailure(ctx, tok.InstitutionID, event, actorOf(ctx), p.Code, s.now()); err != nil {
		s.log.WarnContext(ctx, "audit of a refused password reset failed", "error", err)
	}
	return answer
}
