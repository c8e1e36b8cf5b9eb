package admin

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
)

// list-users page sizes. Better Auth's default is 100 and it has no
// maximum. authd rejects more than maxListLimit rows per page, so one
// request cannot read the whole table.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
	maxFilterValues  = 100
)

type fieldKind int

const (
	textField fieldKind = iota
	boolField
	timeField
)

func (k fieldKind) String() string {
	switch k {
	case boolField:
		return "boolean"
	case timeField:
		return "date"
	}
	return "text"
}

// listField is a user column that list-users may filter and sort on. The
// map is the allow-list: SQL only ever names these columns.
type listField struct {
	column string
	kind   fieldKind
}

var listFields = map[string]listField{
	"id":            {`"id"`, textField},
	"_id":           {`"id"`, textField}, // Better Auth's alias of id
	"name":          {`"name"`, textField},
	"email":         {`"email"`, textField},
	"emailVerified": {`"emailVerified"`, boolField},
	"image":         {`"image"`, textField},
	"createdAt":     {`"createdAt"`, timeField},
	"updatedAt":     {`"updatedAt"`, timeField},
	"role":          {`"role"`, textField},
	"banned":        {`"banned"`, boolField},
	"banReason":     {`"banReason"`, textField},
	"banExpires":    {`"banExpires"`, timeField},
}

func listFieldNames() []string {
	names := make([]string, 0, len(listFields))
	for n := range listFields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var filterOperators = []string{"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "ends_with"}

// comparisons maps the plain comparison operators to SQL.
var comparisons = map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

type listUsersResponse struct {
	Users []store.User `json:"users"`
	Total int64        `json:"total"`
	// Limit and Offset are present only when the request gave a non-zero
	// value, as in Better Auth.
	Limit  int64 `json:"limit,omitempty"`
	Offset int64 `json:"offset,omitempty"`
}

// userQuery is a parsed list-users request: a WHERE clause with its
// arguments, an ORDER BY and a page.
type userQuery struct {
	where  []string
	args   []any
	order  string
	limit  int64
	offset int64
	// limitGiven is true when the request set a non-zero limit.
	limitGiven bool
}

func (q *userQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// parseListUsers validates the query string. Beyond Better Auth's schema,
// authd returns 400 for an unknown filter or sort field, an operator that
// does not fit the field, an unreadable value and a page larger than
// maxListLimit. Better Auth returns an empty 200 for those.
func parseListUsers(v *api.Validator) *userQuery {
	searchValue := v.OptString("searchValue", api.MaxLen(maxNameLength))
	searchField := v.OptString("searchField", api.OneOf("email", "name"))
	searchOperator := v.OptString("searchOperator", api.OneOf("contains", "starts_with", "ends_with"))
	limitText := v.OptString("limit")
	offsetText := v.OptString("offset")
	sortBy := v.OptString("sortBy")
	sortDirection := v.OptString("sortDirection", api.OneOf("asc", "desc"))
	filterField := v.OptString("filterField")
	filterValue, filterSet := v.Raw("filterValue")
	filterOperator := v.OptString("filterOperator", api.OneOf(filterOperators...))

	q := &userQuery{}
	q.limit = pageNumber(v, "limit", limitText.Value, maxListLimit)
	q.offset = pageNumber(v, "offset", offsetText.Value, math.MaxInt32)

	if searchValue.Value != "" {
		column := `"email"`
		if searchField.Value == "name" {
			column = `"name"`
		}
		op := searchOperator.Value
		if op == "" {
			op = "contains"
		}
		q.where = append(q.where, column+" LIKE "+q.arg(likePattern(op, searchValue.Value)))
	}

	// A filter applies whenever filterValue is present, even empty.
	if filterSet {
		name := filterField.Value
		if name == "" {
			name = "email"
		}
		op := filterOperator.Value
		if op == "" {
			op = "eq"
		}
		if field, ok := knownField(v, "filterField", name); ok {
			if cond, ok := q.filter(v, field, op, filterValue); ok {
				q.where = append(q.where, cond)
			}
		}
	}

	q.order = `"createdAt" ASC, "id" ASC`
	if sortBy.Value != "" {
		if field, ok := knownField(v, "sortBy", sortBy.Value); ok {
			dir := "ASC"
			if sortDirection.Value == "desc" {
				dir = "DESC"
			}
			// id breaks ties, so pages never overlap or skip rows.
			q.order = field.column + " " + dir + `, "id" ` + dir
		}
	}
	q.limitGiven = q.limit != 0
	if !q.limitGiven {
		q.limit = defaultListLimit
	}
	return q
}

func knownField(v *api.Validator, param, name string) (listField, bool) {
	field, ok := listFields[name]
	if !ok {
		quoted := make([]string, 0, len(listFields))
		for _, n := range listFieldNames() {
			quoted = append(quoted, strconv.Quote(n))
		}
		v.Issue(param, fmt.Sprintf("Unknown user field %q: expected one of %s", name, strings.Join(quoted, "|")))
	}
	return field, ok
}

// pageNumber reads limit or offset. As in Better Auth, an empty,
// non-numeric or zero value means "not given" (0). authd rejects negative,
// fractional and too large values instead of passing them to the query.
func pageNumber(v *api.Validator, name, text string, max int64) int64 {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) {
		return 0
	}
	if f < 0 || f != math.Trunc(f) {
		v.Issue(name, "Invalid input: expected a whole number >= 0, received "+strconv.Quote(text))
		return 0
	}
	if f > float64(max) {
		v.Issue(name, fmt.Sprintf("Too big: expected number to be <=%d", max))
		return 0
	}
	return int64(f)
}

// filter builds one condition. Values are always query arguments; the
// column and the SQL operator come from fixed tables.
func (q *userQuery) filter(v *api.Validator, field listField, op string, raw any) (string, bool) {
	var texts []string
	switch t := raw.(type) {
	case string:
		texts = []string{t}
	case []any:
		for _, e := range t {
			s, _ := e.(string)
			texts = append(texts, s)
		}
	}
	list := op == "in" || op == "not_in"
	if !list && len(texts) != 1 {
		v.Issue("filterValue", fmt.Sprintf("Invalid input: operator %s takes one value, received %d", op, len(texts)))
		return "", false
	}
	if len(texts) > maxFilterValues {
		v.Issue("filterValue", fmt.Sprintf("Too big: expected at most %d values", maxFilterValues))
		return "", false
	}

	switch op {
	case "contains", "starts_with", "ends_with":
		if field.kind != textField {
			v.Issue("filterOperator", fmt.Sprintf("Invalid option: %s needs a text field, and the field is %s", op, field.kind))
			return "", false
		}
		return field.column + " LIKE " + q.arg(likePattern(op, texts[0])), true
	}

	values := make([]any, len(texts))
	for i, s := range texts {
		val, err := fieldValue(field.kind, s)
		if err != nil {
			v.Issue("filterValue", err.Error())
			return "", false
		}
		values[i] = val
	}
	if !list {
		return field.column + " " + comparisons[op] + " " + q.arg(values[0]), true
	}
	// A single value is a list of one. Better Auth fails on it and returns
	// an empty 200.
	var param any = texts
	switch field.kind {
	case boolField:
		bs := make([]bool, len(values))
		for i, x := range values {
			bs[i] = x.(bool)
		}
		param = bs
	case timeField:
		ts := make([]time.Time, len(values))
		for i, x := range values {
			ts[i] = x.(time.Time)
		}
		param = ts
	}
	if op == "in" {
		return field.column + " = ANY(" + q.arg(param) + ")", true
	}
	return field.column + " <> ALL(" + q.arg(param) + ")", true
}

// fieldValue converts a query string to the field's type. A boolean is
// true only for "true", as in Better Auth, and a date must be ISO 8601.
func fieldValue(kind fieldKind, s string) (any, error) {
	switch kind {
	case boolField:
		return s == "true", nil
	case timeField:
		t, err := parseDate(s)
		if err != nil {
			return nil, fmt.Errorf("Invalid date %q: use an ISO 8601 date such as 2030-01-31T12:00:00Z", s)
		}
		return t, nil
	}
	return s, nil
}

// likePattern matches value literally: % and _ are escaped, where Better
// Auth's SQL adapters let them act as wildcards. Matching is
// case-sensitive, as in Better Auth on Postgres.
func likePattern(op, value string) string {
	escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(value)
	switch op {
	case "starts_with":
		return escaped + "%"
	case "ends_with":
		return "%" + escaped
	}
	return "%" + escaped + "%"
}

func (p *Plugin) listUsers(c *auth.Context) error {
	v := c.ValidateQuery()
	q := parseListUsers(v)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := p.authorize(c, "user", "list", errNotAllowedToListUsers); err != nil {
		return err
	}
	users, total, err := q.run(c.Ctx(), p.svc.Store.Pool)
	if err != nil {
		return err
	}
	resp := listUsersResponse{Users: users, Total: total, Offset: q.offset}
	if q.limitGiven {
		resp.Limit = q.limit
	}
	return c.JSON(resp)
}

// run fetches one page and the number of all matching users. The window
// count comes with the page in one query. A page past the end has no rows
// to carry it, so it is counted separately.
func (q *userQuery) run(ctx context.Context, db store.DB) ([]store.User, int64, error) {
	where := ""
	if len(q.where) > 0 {
		where = " WHERE " + strings.Join(q.where, " AND ")
	}
	args := append([]any{}, q.args...)
	args = append(args, q.limit, q.offset)
	rows, err := db.Query(ctx, `SELECT `+store.UserColumns+`, count(*) OVER () FROM "user"`+where+
		` ORDER BY `+q.order+fmt.Sprintf(` LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	users := []store.User{}
	var total int64
	for rows.Next() {
		var u store.User
		if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.CreatedAt, &u.UpdatedAt,
			&u.Role, &u.Banned, &u.BanReason, &u.BanExpires, &total); err != nil {
			return nil, 0, err
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(users) == 0 && q.offset > 0 {
		if err := db.QueryRow(ctx, `SELECT count(*) FROM "user"`+where, q.args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	return users, total, nil
}
