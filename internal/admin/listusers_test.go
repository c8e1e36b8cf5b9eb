package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// listFixture is the default set-up on a database of its own, so totals are exact: root,
// alice and bob, in that order of creation.
func listFixture(t *testing.T) *fixture {
	t.Helper()
	return fixtureOn(t, freshServer(t, nil))
}

type listAnswer struct {
	Users []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Role   string `json:"role"`
		Banned bool   `json:"banned"`
	} `json:"users"`
	Total  int  `json:"total"`
	Limit  *int `json:"limit"`
	Offset *int `json:"offset"`
}

func list(t *testing.T, f *fixture, query string) listAnswer {
	t.Helper()
	resp := get(f.srv, "/admin/list-users?"+query, f.root.Token)
	if resp.Status != http.StatusOK {
		t.Fatalf("list-users?%s: %d %s", query, resp.Status, resp.Body)
	}
	var a listAnswer
	resp.Decode(t, &a)
	if len(resp.JSON(t)) != 2+btoi(a.Limit != nil)+btoi(a.Offset != nil) {
		t.Fatalf("unexpected keys: %s", resp.Body)
	}
	return a
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Pages carry limit and offset only when they are non-zero.
func TestListUsersPages(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	a := list(t, f, "")
	if len(a.Users) != 3 || a.Total != 3 || a.Limit != nil || a.Offset != nil {
		t.Fatalf("no params: %+v", a)
	}
	a = list(t, f, "limit=1&offset=1")
	if len(a.Users) != 1 || a.Users[0].ID != f.alice.ID || a.Total != 3 || *a.Limit != 1 || *a.Offset != 1 {
		t.Fatalf("limit=1&offset=1: %+v", a)
	}
	a = list(t, f, "limit=1&offset=0")
	if len(a.Users) != 1 || a.Limit == nil || a.Offset != nil {
		t.Fatalf("limit=1&offset=0: %+v", a)
	}
	// Past the end the page is empty and total still counts every match.
	a = list(t, f, "limit=2&offset=10")
	if len(a.Users) != 0 || a.Total != 3 {
		t.Fatalf("past the end: %+v", a)
	}
	// Non-numeric means "not given", as in Better Auth.
	a = list(t, f, "limit=abc")
	if a.Limit != nil || len(a.Users) != 3 {
		t.Fatalf("limit=abc: %+v", a)
	}
}

// authd caps a page at 1000 rows and rejects negative or fractional
// numbers. Better Auth runs the query and returns an empty 200 when it
// fails.
func TestListUsersPageLimits(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	expectOK(t, get(f.srv, "/admin/list-users?limit=1000", f.root.Token))
	for _, q := range []string{"limit=1001", "limit=-1", "limit=1.5", "offset=-1"} {
		expectError(t, get(f.srv, "/admin/list-users?"+q, f.root.Token), http.StatusBadRequest, "VALIDATION_ERROR")
	}
}

// Search and filter select by field, operator and value.
func TestListUsersSearchAndFilter(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	if a := list(t, f, "searchField=name&searchValue=ali"); a.Total != 1 || a.Users[0].ID != f.alice.ID {
		t.Fatalf("search name: %+v", a)
	}
	if a := list(t, f, "searchValue="); a.Total != 3 {
		t.Fatalf("empty search: %+v", a)
	}
	// Matching is case-sensitive, as in Better Auth on Postgres.
	if a := list(t, f, "searchField=name&searchValue=ALI"); a.Total != 0 {
		t.Fatalf("upper-case search: %+v", a)
	}
	if a := list(t, f, "searchField=email&searchOperator=starts_with&searchValue=bob-"); a.Total != 1 || a.Users[0].ID != f.bob.ID {
		t.Fatalf("starts_with: %+v", a)
	}
	if a := list(t, f, "searchField=email&searchOperator=ends_with&searchValue=@example.com"); a.Total != 3 {
		t.Fatalf("ends_with: %+v", a)
	}
	if a := list(t, f, "filterField=role&filterValue=admin"); a.Total != 1 || a.Users[0].ID != f.root.ID {
		t.Fatalf("filter role: %+v", a)
	}
	expectOK(t, post(f.srv, "/admin/ban-user", map[string]any{"userId": f.bob.ID}, f.root.Token))
	if a := list(t, f, "filterField=banned&filterValue=false"); a.Total != 2 {
		t.Fatalf("filter banned=false: %+v", a)
	}
	if a := list(t, f, "filterField=banned&filterValue=true"); a.Total != 1 || a.Users[0].ID != f.bob.ID {
		t.Fatalf("filter banned=true: %+v", a)
	}
	// Search and filter combine with AND.
	if a := list(t, f, "searchField=name&searchValue=o&filterField=role&filterValue=user"); a.Total != 1 || a.Users[0].ID != f.bob.ID {
		t.Fatalf("search and filter: %+v", a)
	}
	if a := list(t, f, "filterField=name&filterOperator=contains&filterValue=lic"); a.Total != 1 {
		t.Fatalf("filter contains: %+v", a)
	}
	if a := list(t, f, "filterField=createdAt&filterOperator=gt&filterValue=2000-01-01"); a.Total != 3 {
		t.Fatalf("filter createdAt: %+v", a)
	}
	if a := list(t, f, "filterField=_id&filterValue="+f.alice.ID); a.Total != 1 {
		t.Fatalf("filter _id: %+v", a)
	}
}

// Search values are literal: % and _ are not wildcards.
func TestListUsersLiteralSearch(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	for _, v := range []string{"%", "_", `\`} {
		if a := list(t, f, "searchField=name&searchValue="+url.QueryEscape(v)); a.Total != 0 {
			t.Fatalf("search %q matched %d users", v, a.Total)
		}
	}
	expectOK(t, post(f.srv, "/admin/update-user", map[string]any{"userId": f.bob.ID, "data": map[string]any{"name": "100% bob_"}}, f.root.Token))
	if a := list(t, f, "searchField=name&searchValue="+url.QueryEscape("0% bob_")); a.Total != 1 {
		t.Fatalf("literal search: %+v", a)
	}
}

// An unknown field or a value that does not fit gets 400. Better Auth
// returns {users:[], total:0} for an unknown field.
func TestListUsersUnknownField(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	for _, q := range []string{
		"filterField=nope&filterValue=x",
		"sortBy=nope",
		"searchField=role&searchValue=x",
		"filterOperator=bogus&filterValue=x",
		"filterField=banned&filterOperator=contains&filterValue=x",
		"filterField=createdAt&filterOperator=gt&filterValue=garbage",
		"filterField=role&filterValue=a&filterValue=b",
		"searchValue=a&searchValue=b",
	} {
		resp := get(f.srv, "/admin/list-users?"+q, f.root.Token)
		expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
		if q == "filterField=nope&filterValue=x" && !strings.Contains(string(resp.Body), `[query.filterField] Unknown user field \"nope\"`) {
			t.Fatalf("message: %s", resp.Body)
		}
	}
}

// Sorting, and the in and not_in operators with repeated values.
func TestListUsersSortAndIn(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	a := list(t, f, "sortBy=name&sortDirection=desc")
	var names []string
	for _, u := range a.Users {
		names = append(names, u.Name)
	}
	if strings.Join(names, ",") != "root,bob,alice" {
		t.Fatalf("names in descending order: %v", names)
	}
	expectError(t, get(f.srv, "/admin/list-users?sortDirection=up", f.root.Token), http.StatusBadRequest, "VALIDATION_ERROR")

	a = list(t, f, "filterField=role&filterOperator=in&filterValue=admin&filterValue=x")
	if a.Total != 1 || a.Users[0].ID != f.root.ID {
		t.Fatalf("in: %+v", a)
	}
	a = list(t, f, "filterField=role&filterOperator=not_in&filterValue=admin&filterValue=x")
	if a.Total != 2 {
		t.Fatalf("not_in: %+v", a)
	}
	// authd reads a single value as a list of one.
	if a = list(t, f, "filterField=role&filterOperator=in&filterValue=admin"); a.Total != 1 {
		t.Fatalf("in with one value: %+v", a)
	}
}

// A service key may list users too.
func TestListUsersServiceKey(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	resp := f.srv.Do("GET", "/admin/list-users", nil, authtest.Bearer(serviceKey(t, f.srv))...)
	if got := expectOK(t, resp); got["total"] != float64(3) {
		t.Fatalf("response: %s", resp.Body)
	}
}
