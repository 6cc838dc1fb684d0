package plan

// Format is the plan format version this package reads and writes.
const Format = "dualsync.plan/v1"

// Plan is a compiled, canonical set of table maps.
type Plan struct {
	Format string `json:"format"`
	// Digest is "sha256:<hex>" of the canonical encoding with Digest empty.
	Digest string `json:"digest"`
	// CatalogDigest identifies the metadata catalogs the maps were checked against.
	CatalogDigest string `json:"catalogDigest"`
	// Stages lists map names in dependency order: every map's lookups point
	// to maps in earlier stages, or are written in a second pass.
	Stages [][]string `json:"stages"`
	// Maps are sorted by stage, then name.
	Maps []Map `json:"maps"`
	// CycleBreaks says how each dependency cycle is broken.
	CycleBreaks []CycleBreak `json:"cycleBreaks"`
	Exclusions  []Exclusion  `json:"exclusions"`
}

// Pos is a source position relative to the maps directory.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Side names one of the two systems.
type Side string

// The two sides.
const (
	FO Side = "fo"
	DV Side = "dv"
)

// Other returns the opposite side.
func (s Side) Other() Side {
	if s == FO {
		return DV
	}
	return FO
}

// Direction is the way data flows.
type Direction string

// Directions.
const (
	Bidirectional Direction = "bidirectional"
	FOToDV        Direction = "fo_to_dv"
	DVToFO        Direction = "dv_to_fo"
)

// Flows reports whether data flows from side from in this direction.
func (d Direction) Flows(from Side) bool {
	switch d {
	case Bidirectional:
		return true
	case FOToDV:
		return from == FO
	case DVToFO:
		return from == DV
	}
	return false
}

// Map is one compiled table map.
type Map struct {
	Name        string     `json:"name"`
	Pos         Pos        `json:"pos"`
	Description string     `json:"description,omitempty"`
	Stage       int        `json:"stage"`
	FO          Entity     `json:"fo"`
	DV          Table      `json:"dv"`
	Key         []KeyField `json:"key"`
	Direction   Direction  `json:"direction"`
	Master      Side       `json:"master"`
	Conflict    *Conflict  `json:"conflict,omitempty"`
	Fields      []Field    `json:"fields"`
	Constants   []Constant `json:"constants"`
	Filter      Filter     `json:"filter"`
	Delete      Delete     `json:"delete"`
	Initial     Initial    `json:"initial"`
	Retry       Retry      `json:"retry"`
	// ParkTimeoutMS is how long a record may wait for a lookup's parent
	// before it becomes a dependency error.
	ParkTimeoutMS int64 `json:"parkTimeoutMs"`
	// BatchSize is the most writes of this map sent in one request.
	BatchSize int     `json:"batchSize"`
	Monitor   Monitor `json:"monitor"`
}

// Entity is the F&O side of a map.
type Entity struct {
	EntitySet       string `json:"entitySet"`
	CompanySpecific bool   `json:"companySpecific"`
	ModifiedField   string `json:"modifiedField"`
}

// Table is the Dataverse side of a map.
type Table struct {
	Table           string `json:"table"`
	EntitySet       string `json:"entitySet"`
	PrimaryID       string `json:"primaryId"`
	CompanySpecific bool   `json:"companySpecific"`
	ModifiedField   string `json:"modifiedField"`
}

// KeyField is one pair of the integration key. Company marks the pair that
// stripes the data by legal entity (dataAreaId and the company lookup).
type KeyField struct {
	FO      string `json:"fo"`
	DV      string `json:"dv"`
	Company bool   `json:"company,omitempty"`
	Type    Type   `json:"type"`
	Pos     Pos    `json:"pos"`
}

// Type is a field's value kind on the wire.
type Type string

// Types.
const (
	String   Type = "string"
	Int      Type = "int"
	Decimal  Type = "decimal"
	Bool     Type = "bool"
	Date     Type = "date"
	DateTime Type = "datetime"
	Guid     Type = "guid"
	Enum     Type = "enum"   // F&O enum, written as a member name
	Choice   Type = "choice" // Dataverse choice, written as an integer
	Lookup   Type = "lookup" // Dataverse lookup, written with @odata.bind
)

// Field is one compiled field mapping.
type Field struct {
	FO        string    `json:"fo"`
	DV        string    `json:"dv"`
	Pos       Pos       `json:"pos"`
	Direction Direction `json:"direction"`
	FOType    Type      `json:"foType"`
	DVType    Type      `json:"dvType"`
	// MaxLength is the smaller of the two sides' limits, 0 when none.
	MaxLength int `json:"maxLength,omitempty"`
	// Scale is the smaller of the two sides' decimal scales, when decimal.
	Scale *int `json:"scale,omitempty"`
	// AcceptLoss is the author's rationale for truncating text to MaxLength
	// or rounding decimals to Scale on the way to the narrower side.
	AcceptLoss string `json:"acceptLoss,omitempty"`
	// Values maps F&O enum members to Dataverse choice values, sorted by member.
	Values []ValuePair `json:"values,omitempty"`
	// Defaults are written to a side when the source value is null.
	DefaultFO *Value   `json:"defaultFo,omitempty"`
	DefaultDV *Value   `json:"defaultDv,omitempty"`
	Lookup    *Ref     `json:"lookup,omitempty"`
	Conflict  Conflict `json:"conflict"`
}

// ValuePair is one entry of a value map.
type ValuePair struct {
	FO string `json:"fo"`
	DV int64  `json:"dv"`
}

// Value is a scalar written by the plan (a default or a constant), kept as
// JSON text so numbers keep their exact digits.
type Value struct {
	JSON string `json:"json"`
}

// Ref is a lookup to another map's records.
type Ref struct {
	Map string `json:"map"`
	// DVTable and DVSet address the referenced Dataverse table for @odata.bind.
	DVTable string `json:"dvTable"`
	DVSet   string `json:"dvSet"`
	// Pass is 1, or 2 when the lookup is written after both records exist.
	Pass int    `json:"pass"`
	Why  string `json:"why,omitempty"`
}

// Winner is who decides a conflicting field.
type Winner string

// Winners.
const (
	WinFO     Winner = "fo"
	WinDV     Winner = "dv"
	LastWrite Winner = "last_write"
	OneWay    Winner = "one_way" // the field flows one way: its source side owns it
)

// Conflict is the rule deciding a field both sides changed.
type Conflict struct {
	Winner Winner `json:"winner"`
	Why    string `json:"why,omitempty"`
	// From is "field" or "map": where the rule was written.
	From string `json:"from,omitempty"`
	Pos  Pos    `json:"pos"`
}

// Constant is a value always written to one side.
type Constant struct {
	Side  Side   `json:"side"`
	Field string `json:"field"`
	Value Value  `json:"value"`
	Pos   Pos    `json:"pos"`
}

// Filter holds the source filters, as written.
type Filter struct {
	FO string `json:"fo,omitempty"`
	DV string `json:"dv,omitempty"`
}

// DeleteAction is what a delete on one side does to the other.
type DeleteAction string

// Delete actions.
const (
	Propagate DeleteAction = "propagate"
	Ignore    DeleteAction = "ignore"
	Review    DeleteAction = "review"
)

// Delete says what a delete observed on each side does.
type Delete struct {
	FO DeleteAction `json:"fo"`
	DV DeleteAction `json:"dv"`
}

// Initial is the initial-sync strategy.
type Initial struct {
	Strategy     string `json:"strategy"`
	ExpectedRows int64  `json:"expectedRows"`
}

// Retry is the error policy for retriable failures.
type Retry struct {
	Attempts         int   `json:"attempts"`
	InitialBackoffMS int64 `json:"initialBackoffMs"`
	MaxBackoffMS     int64 `json:"maxBackoffMs"`
}

// Monitor holds the map's monitoring thresholds; zero means not set.
type Monitor struct {
	AlertErrorsPerHour int   `json:"alertErrorsPerHour"`
	PauseErrorsPerHour int   `json:"pauseErrorsPerHour"`
	ReconcileSample    int   `json:"reconcileSample"`
	MaxLagMS           int64 `json:"maxLagMs"`
}

// CycleBreak records a lookup written in a second pass to break a cycle.
type CycleBreak struct {
	Cycle []string `json:"cycle"`
	Map   string   `json:"map"`
	Field string   `json:"field"`
	Why   string   `json:"why"`
	Pos   Pos      `json:"pos"`
}

// Exclusion is an entity that must not sync.
type Exclusion struct {
	Name  string `json:"name"`
	FO    string `json:"fo,omitempty"`
	DV    string `json:"dv,omitempty"`
	Owner Side   `json:"owner"`
	Why   string `json:"why"`
	Pos   Pos    `json:"pos"`
}
