package portal

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/inspector"
)

// statusFilters are the inspector's status choices.
var statusFilters = []struct {
	Value, Label string
	keep         func(status int) bool
}{
	{"", "All", func(int) bool { return true }},
	{"2xx", "2xx success", func(s int) bool { return s >= 200 && s < 300 }},
	{"4xx", "4xx client errors", func(s int) bool { return s >= 400 && s < 500 }},
	{"5xx", "5xx server errors", func(s int) bool { return s >= 500 }},
	{"errors", "All errors (4xx and 5xx)", func(s int) bool { return s >= 400 }},
}

// row is an entry as the inspector shows it.
type row struct {
	inspector.Entry
	TimeISO, TimeShort, Latency string
	StatusClass                 int
}

func toRows(entries []inspector.Entry) []row {
	out := make([]row, len(entries))
	for i, e := range entries {
		out[i] = row{Entry: e, TimeISO: e.Time.UTC().Format(time.RFC3339Nano), TimeShort: e.Time.UTC().Format("15:04:05.000"),
			Latency: fmt.Sprintf("%.1f ms", float64(e.Latency.Microseconds())/1000), StatusClass: e.Status / 100}
	}
	return out
}

// inspectorQuery is the inspector's filter, from the query string.
type inspectorQuery struct {
	status, app string
	keep        func(inspector.Entry) bool
}

func (p *Portal) queryOf(c echo.Context) inspectorQuery {
	q := inspectorQuery{status: c.QueryParam("status"), app: c.QueryParam("app")}
	keepStatus := statusFilters[0].keep
	for _, f := range statusFilters {
		if f.Value == q.status {
			keepStatus = f.keep
		}
	}
	q.keep = func(e inspector.Entry) bool { return keepStatus(e.Status) && (q.app == "" || e.ClientID == q.app) }
	return q
}

func (p *Portal) requests(c echo.Context) error {
	dev := developerOf(c)
	q := p.queryOf(c)
	entries := p.inspector.List(dev.ID, 0, q.keep)
	apps, err := p.store.ClientApps(c.Request().Context(), dev.ID)
	if err != nil {
		return p.fail(c, err)
	}
	type option struct {
		Value, Label, ClientID, Name string
		Selected                     bool
	}
	data := struct {
		Max            int
		Statuses, Apps []option
		Entries        []row
		Query          string
		Latest         uint64
		Filtered       bool
	}{Max: inspector.PerDeveloper, Entries: toRows(entries), Filtered: q.status != "" || q.app != ""}
	for _, f := range statusFilters {
		data.Statuses = append(data.Statuses, option{Value: f.Value, Label: f.Label, Selected: f.Value == q.status})
	}
	for _, a := range apps {
		data.Apps = append(data.Apps, option{ClientID: a.ClientID, Name: a.Name, Selected: a.ClientID == q.app})
	}
	values := url.Values{}
	if q.status != "" {
		values.Set("status", q.status)
	}
	if q.app != "" {
		values.Set("app", q.app)
	}
	data.Query = values.Encode()
	// The newest entry of any kind: live updates fetch only what comes after it.
	if all := p.inspector.List(dev.ID, 0, nil); len(all) > 0 {
		data.Latest = all[0].Seq
	}
	return p.render(c, http.StatusOK, "requests", page{Title: "Request inspector", Nav: "requests", Script: true, Data: data})
}

// requestsFeed answers the inspector's live updates: the rows newer than ?after, as an HTML
// fragment (empty when there are none).
func (p *Portal) requestsFeed(c echo.Context) error {
	dev := developerOf(c)
	if dev == nil {
		return c.NoContent(http.StatusUnauthorized)
	}
	after, _ := strconv.ParseUint(c.QueryParam("after"), 10, 64)
	entries := p.inspector.List(dev.ID, after, p.queryOf(c).keep)
	var buf bytes.Buffer
	if err := p.pages["rows"].ExecuteTemplate(&buf, "rows", toRows(entries)); err != nil {
		return p.fail(c, err)
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
