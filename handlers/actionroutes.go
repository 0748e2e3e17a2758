package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/gen"
)

// actionRouter lets Echo serve the contract's custom-method paths, in which a literal ":action"
// follows a path parameter inside one segment (`/v1/customers/{customerId}:unlock-user`). Echo
// reads a parameter up to the next "/", so it cannot route those itself: the generator's
// `/v1/customers/:customerId\:unlock-user` would swallow the action into the parameter name.
// actionRouter registers one Echo route per method and base path (`/v1/customers/:customerId`)
// and dispatches on the parameter value's last ":action" suffix, handing the handler the value
// without it. A base path that has no action routes passes its parameter through untouched.
type actionRouter struct {
	e *echo.Echo
	// routes[method+" "+base][action] is the handler; action "" is the base path itself.
	routes map[string]map[string]echo.HandlerFunc
	names  map[string]bool // every action of any route
}

var _ gen.EchoRouter = (*actionRouter)(nil)

func newActionRouter(e *echo.Echo) *actionRouter {
	return &actionRouter{e: e, routes: map[string]map[string]echo.HandlerFunc{}, names: map[string]bool{}}
}

// unknownAction reports whether path ends in a custom method (":action" in its last segment)
// that no route has. The request validator, which routes by the spec's templates, takes such a
// path for its base path (`/v1/customers/{customerId}` with the id "x:nonsense") and refuses a
// method the base path lacks with 405; the path itself is what is unknown.
func (a *actionRouter) unknownAction(path string) bool {
	last := path[strings.LastIndexByte(path, '/')+1:]
	i := strings.LastIndexByte(last, ':')
	return i >= 0 && !a.names[last[i+1:]]
}

// add registers path for method: directly unless it ends in a parameter (with or without an
// action suffix), in which case through the dispatcher of its base path.
func (a *actionRouter) add(method, path string, h echo.HandlerFunc, m []echo.MiddlewareFunc) *echo.Route {
	base, action, hasAction := strings.Cut(path, `\:`)
	lastSlash := strings.LastIndexByte(base, '/')
	if !hasAction && !strings.HasPrefix(base[lastSlash+1:], ":") {
		return a.e.Add(method, path, h, m...)
	}
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	key := method + " " + base
	actions, seen := a.routes[key]
	if !seen {
		actions = map[string]echo.HandlerFunc{}
		a.routes[key] = actions
	}
	actions[action] = h
	if hasAction {
		a.names[action] = true
	}
	if seen {
		return &echo.Route{Method: method, Path: path}
	}
	return a.e.Add(method, base, func(c echo.Context) error { return dispatchAction(c, actions) })
}

// dispatchAction picks the handler by the last parameter's ":action" suffix.
func dispatchAction(c echo.Context, actions map[string]echo.HandlerFunc) error {
	values := c.ParamValues()
	last := len(values) - 1
	if last < 0 {
		return echo.ErrNotFound
	}
	if len(actions) > 1 || actions[""] == nil {
		if i := strings.LastIndexByte(values[last], ':'); i >= 0 {
			// "abc:" names no action: it is not the base path either.
			h := actions[values[last][i+1:]]
			if h == nil || i == len(values[last])-1 {
				return echo.ErrNotFound
			}
			trimmed := append([]string(nil), values...)
			trimmed[last] = values[last][:i]
			c.SetParamValues(trimmed...)
			return h(c)
		}
	}
	if h := actions[""]; h != nil {
		return h(c)
	}
	return echo.ErrNotFound
}

func (a *actionRouter) CONNECT(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodConnect, p, h, m)
}
func (a *actionRouter) DELETE(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodDelete, p, h, m)
}
func (a *actionRouter) GET(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodGet, p, h, m)
}
func (a *actionRouter) HEAD(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodHead, p, h, m)
}
func (a *actionRouter) OPTIONS(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodOptions, p, h, m)
}
func (a *actionRouter) PATCH(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodPatch, p, h, m)
}
func (a *actionRouter) POST(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodPost, p, h, m)
}
func (a *actionRouter) PUT(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodPut, p, h, m)
}
func (a *actionRouter) TRACE(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return a.add(http.MethodTrace, p, h, m)
}
