package webapp

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
)

// page is what every template sees.
type page struct {
	Title  string
	FIName string
	Base   string
	CSRF   string
	// Progress is the step navigation (empty outside the wizard).
	Progress []progressItem
	// Errors is the error summary: every problem to fix, this page's first.
	Errors []summaryItem
	Step   int
	Intro  string
	Action string
	Back   string
	Fields []fieldView
	Policy *Policy
	// Keys page
	AskForKeys      bool
	SuggestedClient string
	ClientID        string
	KeysChosen      bool
	PortalURL       string
	KeysError       map[string]string
	// Disclosures page
	Disclosures      []disclosureView
	DisclosuresError string
	CanSubmit        bool
	// Success page
	Result       *result
	Calls        []Call
	InspectorURL string
	// Message pages
	Message, Link, LinkText string
}

type progressItem struct {
	Number  int
	Title   string
	Href    string // "" when the step cannot be visited yet
	Current bool
	Done    bool
}

type summaryItem struct {
	Text string
	Href string // "" for a problem of no field
}

type fieldView struct {
	Name, Label, Type, Value, Hint, Error, Autocomplete, Inputmode string
	Optional                                                       bool
	Describedby                                                    string
	Maxlength                                                      int
}

type disclosureView struct {
	disclosure
	Checked bool
	Error   string
}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range []string{"keys", "step", "disclosures", "done", "message"} {
		t, err := template.New("layout.html").ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("webapp: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

func (a *app) render(w http.ResponseWriter, status int, name string, p *page) {
	p.FIName, p.Base, p.AskForKeys = a.cfg.FIName, a.base, a.askForKeys()
	var buf bytes.Buffer
	if err := a.pages[name].Execute(&buf, p); err != nil {
		a.log.Error("render", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (a *app) redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, a.base+"/"+to, http.StatusSeeOther)
}

// next is where the session continues: the keys, the first step not yet done, or the result.
func (a *app) next(s *session) string {
	if _, ok := a.credentials(s); !ok {
		return "keys"
	}
	if s.result != nil {
		return "done"
	}
	for _, st := range steps {
		if !s.completed[st.number] {
			return st.slug
		}
	}
	return stepByNumber(disclosuresStep).slug
}

// reachable reports whether a step may be shown: the client app is chosen and every earlier
// step is done.
func (a *app) reachable(s *session, n int) bool {
	if _, ok := a.credentials(s); !ok || s.result != nil {
		return false
	}
	for i := 1; i < n; i++ {
		if !s.completed[i] {
			return false
		}
	}
	return true
}

func (a *app) start(w http.ResponseWriter, r *http.Request, s *session) {
	a.redirect(w, r, a.next(s))
}

func (a *app) progress(s *session, current int) []progressItem {
	var out []progressItem
	for _, st := range steps {
		it := progressItem{Number: st.number, Title: st.title, Current: st.number == current, Done: s.completed[st.number]}
		if a.reachable(s, st.number) {
			it.Href = a.base + "/" + st.slug
		}
		out = append(out, it)
	}
	return out
}

// summary lists the session's problems: this step's fields in page order first (linked to
// their inputs), then other steps' (linked to their pages), then those of no field.
func (a *app) summary(s *session, current int) []summaryItem {
	var here, elsewhere []summaryItem
	for _, st := range steps {
		names := []string{}
		for _, f := range st.fields {
			names = append(names, f.name)
		}
		if st.number == disclosuresStep {
			names = append(names, disclosuresField)
			for _, d := range s.disclosures {
				names = append(names, disclosureField(d.ID))
			}
		}
		for _, n := range names {
			msg, ok := s.errors[n]
			if !ok {
				continue
			}
			target := n
			if n == disclosuresField {
				target = "disclosures-list"
			}
			if st.number == current {
				here = append(here, summaryItem{Text: msg, Href: "#" + target})
			} else {
				elsewhere = append(elsewhere, summaryItem{Text: fmt.Sprintf("%s: %s (step %d, %s)", labelOf(n), msg, st.number, st.title),
					Href: a.base + "/" + st.slug + "#" + target})
			}
		}
	}
	out := append(here, elsewhere...)
	for _, g := range s.general {
		out = append(out, summaryItem{Text: g})
	}
	return out
}

func labelOf(name string) string {
	if f := fieldsByName[name]; f != nil {
		return f.label
	}
	return "Disclosures"
}

func disclosureField(id string) string { return "disclosure-" + id }

func (a *app) showStep(st *step) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if !a.reachable(s, st.number) {
			a.redirect(w, r, a.next(s))
			return
		}
		if st.number == disclosuresStep {
			a.showDisclosures(w, r, s)
			return
		}
		p := &page{Title: st.title, Step: st.number, Intro: st.intro, CSRF: s.csrf, Action: a.base + "/" + st.slug,
			Progress: a.progress(s, st.number), Errors: a.summary(s, st.number)}
		if st.number > 1 {
			p.Back = a.base + "/" + stepByNumber(st.number-1).slug
		}
		if st.number == 1 {
			p.Policy = &a.cfg.Policy
		}
		for _, f := range st.fields {
			v := fieldView{Name: f.name, Label: f.label, Type: f.kind, Autocomplete: f.autocomplete, Inputmode: f.inputmode,
				Optional: f.optional, Error: s.errors[f.name]}
			if f.kind != "password" {
				v.Value = s.values[f.name] // a password is never written back into a page
			}
			if f.hint != nil {
				v.Hint = f.hint(a.cfg.Policy)
			}
			if f == fPassword && s.values[fPassword.name] != "" {
				v.Hint += " You entered one before: leave both password fields empty to keep it."
			}
			switch f {
			case fUsername:
				v.Maxlength = a.cfg.Policy.UsernameMax
			case fPassword, fPasswordConfirm:
				v.Maxlength = a.cfg.Policy.PasswordMax
			}
			var ids []string
			if v.Hint != "" {
				ids = append(ids, f.name+"-hint")
			}
			if v.Error != "" {
				ids = append(ids, f.name+"-error")
			}
			v.Describedby = strings.Join(ids, " ")
			p.Fields = append(p.Fields, v)
		}
		a.render(w, http.StatusOK, "step", p)
	}
}

func (a *app) postStep(st *step) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if !a.reachable(s, st.number) {
			a.redirect(w, r, a.next(s))
			return
		}
		in := map[string]string{}
		for _, f := range st.fields {
			v := r.PostFormValue(f.name)
			if f.kind != "password" {
				v = strings.TrimSpace(v)
			}
			if f.normalize != nil {
				v = f.normalize(v)
			}
			in[f.name] = v
		}
		kept := s.values[fPassword.name] != ""
		errs := checkStep(st, in, a.cfg.Policy, kept)
		for _, f := range st.fields {
			delete(s.errors, f.name)
			if f == fPassword || f == fPasswordConfirm {
				continue
			}
			s.values[f.name] = in[f.name]
		}
		if st.number == 1 && in[fPassword.name] != "" && errs[fPassword.name] == "" && errs[fPasswordConfirm.name] == "" {
			s.values[fPassword.name] = in[fPassword.name]
		}
		s.general = nil
		for k, v := range errs {
			s.errors[k] = v
		}
		s.completed[st.number] = len(errs) == 0
		if len(errs) > 0 {
			a.redirect(w, r, st.slug)
			return
		}
		a.redirect(w, r, a.next(s))
	}
}

func (a *app) showDisclosures(w http.ResponseWriter, r *http.Request, s *session) {
	st := stepByNumber(disclosuresStep)
	k, _ := a.credentials(s)
	var loadFailure string
	if s.disclosures == nil {
		list, err := a.listDisclosures(r.Context(), s, k)
		if err != nil {
			a.logFailure(err)
			loadFailure = "The FI's disclosures could not be loaded, so the registration cannot be sent yet: " + err.Error() +
				". Reload the page to try again."
		} else {
			s.disclosures = append([]disclosure{}, list...) // empty, not nil, for an FI without disclosures
		}
	}
	p := &page{Title: st.title, Step: st.number, Intro: st.intro, CSRF: s.csrf, Action: a.base + "/" + st.slug,
		Back: a.base + "/" + stepByNumber(disclosuresStep-1).slug, Progress: a.progress(s, st.number),
		Errors: a.summary(s, st.number), DisclosuresError: s.errors[disclosuresField], CanSubmit: s.disclosures != nil}
	if loadFailure != "" {
		p.Errors = append(p.Errors, summaryItem{Text: loadFailure})
	}
	for _, d := range s.disclosures {
		p.Disclosures = append(p.Disclosures, disclosureView{disclosure: d, Checked: s.accepted[d.ID], Error: s.errors[disclosureField(d.ID)]})
	}
	a.render(w, http.StatusOK, "disclosures", p)
}

// submit records the ticked disclosures, checks the required ones, and sends Register v4.
func (a *app) submit(w http.ResponseWriter, r *http.Request, s *session) {
	if !a.reachable(s, disclosuresStep) || s.disclosures == nil {
		a.redirect(w, r, a.next(s))
		return
	}
	ticked := map[string]bool{}
	for _, id := range r.PostForm["accept"] {
		ticked[id] = true
	}
	s.accepted = map[string]bool{}
	delete(s.errors, disclosuresField)
	s.general = nil
	missing := false
	for _, d := range s.disclosures {
		delete(s.errors, disclosureField(d.ID))
		s.accepted[d.ID] = ticked[d.ID]
		if d.Required && !ticked[d.ID] {
			s.errors[disclosureField(d.ID)] = "Accept the " + d.Title() + " to register"
			missing = true
		}
	}
	if missing {
		a.redirect(w, r, stepByNumber(disclosuresStep).slug)
		return
	}
	k, _ := a.credentials(s)
	res, err := a.register(r.Context(), s, k, clientIP(r))
	if err == nil {
		calls := s.calls
		s.resetForm() // nothing the user typed is kept once the FI has it
		s.result, s.calls = res, calls
		a.redirect(w, r, "done")
		return
	}
	a.logFailure(err)
	var ae *apiError
	if !errors.As(err, &ae) || len(ae.infos) == 0 || ae.call != "Register v4" {
		s.general = []string{failureMessage(err, a.askForKeys())}
		a.redirect(w, r, stepByNumber(disclosuresStep).slug)
		return
	}
	// The API refused the registration: show each errorInfo at its field, and send the user to
	// the first page that has one. Everything typed stays (a duplicate username is fixed on
	// step 1 and the rest is still there).
	clear(s.errors)
	first := disclosuresStep
	for _, info := range ae.infos {
		name, msg := placeError(info)
		f := fieldsByName[name]
		switch {
		case f != nil:
			if _, dup := s.errors[name]; !dup {
				s.errors[name] = msg
			}
			s.completed[f.step] = false
			first = min(first, f.step)
		case name == disclosuresField:
			s.errors[name] = msg
		default:
			s.general = append(s.general, msg)
		}
	}
	a.redirect(w, r, stepByNumber(first).slug)
}

// failureMessage says what went wrong when the API gave no field errors.
func failureMessage(err error, askForKeys bool) string {
	var ae *apiError
	switch {
	case isTransport(err):
		return "The registration service did not answer. Your answers are kept: try again in a moment."
	case errors.As(err, &ae) && (ae.status == http.StatusUnauthorized || ae.status == http.StatusForbidden) && strings.Contains(ae.call, "token"):
		msg := "The token service refused this app's keys (" + err.Error() + ")."
		if askForKeys {
			msg += " Choose other keys on the keys page."
		}
		return msg
	default:
		return "The registration was not accepted: " + err.Error() + ". Your answers are kept."
	}
}

func (a *app) logFailure(err error) {
	if isTransport(err) {
		a.log.Warn("webapp: API call failed", "error", err)
	}
}

func (a *app) showDone(w http.ResponseWriter, r *http.Request, s *session) {
	if s.result == nil {
		a.redirect(w, r, a.next(s))
		return
	}
	calls := append([]Call(nil), s.calls...)
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].At.Before(calls[j].At) })
	a.render(w, http.StatusOK, "done", &page{Title: "You are registered", CSRF: s.csrf, Result: s.result, Calls: calls,
		InspectorURL: a.cfg.InspectorURL})
}

func (a *app) restart(w http.ResponseWriter, r *http.Request, s *session) {
	s.resetForm()
	a.redirect(w, r, a.next(s))
}

func (a *app) showKeys(w http.ResponseWriter, r *http.Request, s *session) {
	if !a.askForKeys() {
		a.redirect(w, r, a.next(s))
		return
	}
	p := &page{Title: "Choose the client app", CSRF: s.csrf, SuggestedClient: a.cfg.SuggestedClientID,
		PortalURL: a.cfg.PortalURL, KeysError: map[string]string{}}
	if s.keys != nil {
		p.ClientID, p.KeysChosen = s.keys.clientID, true
	}
	for _, n := range []string{"clientId", "clientSecret"} {
		if msg, ok := s.errors[n]; ok {
			p.KeysError[n] = msg
			p.Errors = append(p.Errors, summaryItem{Text: msg, Href: "#" + n})
		}
	}
	if v, ok := s.values["clientId"]; ok && p.ClientID == "" {
		p.ClientID = v
	}
	a.render(w, http.StatusOK, "keys", p)
}

// postKeys takes the client app for this session: the suggested one, or a pair the developer
// typed, which is tried with a V1 token request first.
func (a *app) postKeys(w http.ResponseWriter, r *http.Request, s *session) {
	if !a.askForKeys() {
		a.redirect(w, r, a.next(s))
		return
	}
	delete(s.errors, "clientId")
	delete(s.errors, "clientSecret")
	delete(s.values, "clientId")
	var k keys
	if r.PostFormValue("use") == "suggested" && a.cfg.SuggestedClientID != "" {
		k = keys{a.cfg.SuggestedClientID, a.cfg.SuggestedClientSecret}
	} else {
		k = keys{strings.TrimSpace(r.PostFormValue("clientId")), r.PostFormValue("clientSecret")}
		if k.clientID == "" {
			s.errors["clientId"] = "Enter the shared key (client id)"
		}
		if k.secret == "" {
			s.errors["clientSecret"] = "Enter the secret key"
		}
		if k.clientID == "" || k.secret == "" {
			s.values["clientId"] = k.clientID
			a.redirect(w, r, "keys")
			return
		}
	}
	if _, err := a.tokenV1(r.Context(), s, k); err != nil {
		a.logFailure(err)
		s.values["clientId"] = k.clientID
		if isTransport(err) {
			s.errors["clientSecret"] = "The token service did not answer: try again in a moment"
		} else {
			s.errors["clientSecret"] = fmt.Sprintf("The token service refused this shared key and secret for FI %s (%s)", a.cfg.FIID, err.Error())
		}
		a.redirect(w, r, "keys")
		return
	}
	if s.keys != nil && *s.keys != k {
		s.disclosures = nil // another app may see other disclosures (or none)
	}
	s.keys = &k
	a.redirect(w, r, a.next(s))
}
