package compiler

import "slices"

// Check codes. A code never changes meaning once released; retired codes are
// not reused.
const (
	CodeCUE               = "DS001" // CUE syntax, type or schema error
	CodeLoad              = "DS002" // maps directory cannot be loaded
	CodeCatalog           = "DS003" // catalog missing or broken
	CodeUnknownEntity     = "DS101" // F&O entity not in catalog
	CodeUnknownTable      = "DS102" // Dataverse table not in catalog
	CodeUnknownFOField    = "DS103" // F&O field not in catalog
	CodeUnknownDVField    = "DS104" // Dataverse column not in catalog
	CodeUnsupportedTable  = "DS105" // virtual or elastic table, no row version
	CodeEntitySetMismatch = "DS106" // dv.set differs from the catalog
	CodeRequiredUnmapped  = "DS110" // required target field unmapped, no default
	CodeDefaultType       = "DS111" // default or constant of the wrong type
	CodeKeyIncomplete     = "DS120" // integration key does not cover the target's key
	CodeKeyNotBidi        = "DS121" // key field not bidirectional in a bidirectional map
	CodeCompanyMismatch   = "DS122" // company-specific mapped to global
	CodeKeyPairCompany    = "DS123" // company pair not dataAreaId with the company lookup
	CodeKeyNotMapped      = "DS124" // a key pair names a field the catalog lacks
	CodeKeyDuplicate      = "DS125" // a field appears in two key pairs
	CodeTypeIncompatible  = "DS130" // incompatible types
	CodeEnumNoValueMap    = "DS131" // text or number into enum/choice without value map
	CodeLengthOverflow    = "DS132" // source longer than target's max length
	CodePrecisionLoss     = "DS133" // numeric precision loss
	CodeValueMapCoverage  = "DS140" // value map does not cover every member
	CodeValueMapInvert    = "DS141" // value map not invertible for a bidirectional field
	CodeValueMapUnknown   = "DS142" // value map names a member or choice that does not exist
	CodeValueMapMisuse    = "DS143" // value map on a field that is not enum/choice
	CodeDirectionClash    = "DS150" // field direction contradicts map direction
	CodeReadOnlyTarget    = "DS151" // read-only target field mapped
	CodeDuplicateTarget   = "DS152" // two mappings write the same target field
	CodeConflictOneWay    = "DS160" // conflict rule on a one-way map or field
	CodeConflictNoWhy     = "DS161" // conflict decision without rationale
	CodeLastWriteNoAck    = "DS162" // last write wins without clock-skew acknowledgement
	CodeConflictMissing   = "DS163" // bidirectional map without a conflict rule
	CodeWhyPlaceholder    = "DS164" // a rationale too short or a placeholder
	CodeLookupUnknown     = "DS170" // lookup to a map that does not exist
	CodeLookupExcluded    = "DS171" // lookup to an excluded map
	CodeLookupDirection   = "DS172" // lookup target map does not flow this way
	CodeCycle             = "DS173" // dependency cycle not broken
	CodeLookupTarget      = "DS174" // lookup column does not point to the target table
	CodeSecondPassNoWhy   = "DS175" // second pass without rationale, or not on a lookup
	CodeSecondPassNoCycle = "DS176" // second pass on a lookup that closes no cycle
	CodeExcludedSynced    = "DS180" // excluded entity still synced by a map
	CodeExclusionNoWhy    = "DS181" // exclusion without a reason or entity
	CodeBulkTooLarge      = "DS190" // bulk initial sync above 100,000 rows
	CodeNoMonitor         = "DS191" // missing monitoring threshold
	CodeInitialLimit      = "DS192" // initial sync above documented limits
	CodeManyLookups       = "DS193" // 10 or more lookups with initial sync from Dataverse
	CodeFilterSyntax      = "DS200" // source filter does not parse
	CodeFilterField       = "DS201" // source filter names an unknown field
	CodeFilterNotSource   = "DS202" // source filter on a side that is never a source
	CodeMasterOneWay      = "DS210" // master side is not a source of a one-way map
)

// CodeInfo documents one check.
type CodeInfo struct {
	Code     string
	Severity Severity
	// Title is the one-line explanation shown by vet --explain.
	Title string
}

// Codes lists every check, sorted by code.
func Codes() []CodeInfo {
	return slices.Clone(codeTable)
}

// Explain returns the documentation of code, if it exists.
func Explain(code string) (CodeInfo, bool) {
	for _, c := range codeTable {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

func severityOf(code string) Severity {
	if c, ok := Explain(code); ok {
		return c.Severity
	}
	return Error
}

var codeTable = []CodeInfo{
	{CodeCUE, Error, "the CUE does not parse, has a type error, or breaks the schema (#TableMap, #Exclusion)"},
	{CodeLoad, Error, "the maps directory cannot be loaded as a CUE package"},
	{CodeCatalog, Error, "the metadata catalog is missing or broken: run dualsync import-metadata"},
	{CodeUnknownEntity, Error, "the F&O data entity is not in the catalog (DIPV1018/1020): check the entity set name or re-import metadata"},
	{CodeUnknownTable, Error, "the Dataverse table is not in the catalog (DIPV1022/1025): check the logical name or re-import metadata"},
	{CodeUnknownFOField, Error, "the F&O field does not exist on the entity (DIPV1021/1024, the 'missing source field' after an upgrade)"},
	{CodeUnknownDVField, Error, "the Dataverse column does not exist on the table (DIPV1021/1024)"},
	{CodeUnsupportedTable, Error, "virtual and elastic Dataverse tables have no row version and cannot be synced (DIPV1019)"},
	{CodeEntitySetMismatch, Error, "dv.set differs from the table's entity set in the catalog"},
	{CodeRequiredUnmapped, Error, "a required field on a target side has no mapping, constant or default: creates would fail (DIPV1010/1031)"},
	{CodeDefaultType, Error, "a default or constant does not fit the target field's type"},
	{CodeKeyIncomplete, Error, "the integration key does not cover the target's key: every F&O entity key field and a Dataverse alternate key must be paired (DIPV1003/1014/1015)"},
	{CodeKeyNotBidi, Error, "a key field flows one way in a bidirectional map: keys must be bidirectional (DIPV1004)"},
	{CodeCompanyMismatch, Error, "a company-specific entity is mapped to a global table or the reverse (DIPV1002)"},
	{CodeKeyPairCompany, Error, "company striping must pair F&O dataAreaId with the Dataverse company lookup, in the key"},
	{CodeKeyNotMapped, Error, "a key pair names a field that the catalog does not have on that side (DIPV1027/1028)"},
	{CodeKeyDuplicate, Error, "a field appears in two key pairs: each key field is paired exactly once"},
	{CodeTypeIncompatible, Error, "the two fields' types cannot be converted into each other (DIPV1030)"},
	{CodeEnumNoValueMap, Error, "an enum or choice is mapped to or from another type, or to each other, without a value map"},
	{CodeLengthOverflow, Error, "the source text can be longer than the target's maximum length: writes would be truncated or rejected"},
	{CodePrecisionLoss, Error, "the target holds fewer decimal places or a smaller range than the source: values would be rounded"},
	{CodeValueMapCoverage, Error, "the value map misses a member that can flow into it: that value would fail at run time ('invalid value conversion')"},
	{CodeValueMapInvert, Error, "two members map to the same choice on a bidirectional field: the reverse direction is ambiguous (DIPV1029)"},
	{CodeValueMapUnknown, Error, "the value map names an enum member or choice value that the catalog does not have"},
	{CodeValueMapMisuse, Error, "a value map is given for a field that is not an enum on F&O and a choice on Dataverse"},
	{CodeDirectionClash, Error, "a field flows in a direction its map does not allow"},
	{CodeReadOnlyTarget, Error, "the field is written to a side where it is read-only (DIPV1011)"},
	{CodeDuplicateTarget, Error, "two mappings write the same target field: the last writer would win at random (DIPV1023/1026)"},
	{CodeConflictOneWay, Error, "a conflict rule on a one-way map or field never applies: remove it, the source side always owns the value"},
	{CodeConflictNoWhy, Error, "every conflict decision must say why, in why: the rationale the runbook asks to document"},
	{CodeLastWriteNoAck, Error, "last write wins compares the two systems' uncoordinated clocks: set acceptClockSkew: true to accept that"},
	{CodeConflictMissing, Error, "a bidirectional map needs a default conflict rule, unless every field that flows both ways has its own"},
	{CodeWhyPlaceholder, Warning, "a rationale (conflict why, secondPass, exclusion why) is too short or a placeholder to tell a reviewer anything"},
	{CodeLookupUnknown, Error, "the lookup names a map that does not exist"},
	{CodeLookupExcluded, Error, "the lookup names an excluded entity: its parent records would never arrive"},
	{CodeLookupDirection, Error, "the looked-up map does not carry records the way this field flows: the parent would never arrive on the target"},
	{CodeCycle, Error, "maps look each other up in a cycle: mark one lookup secondPass (with its reason) so it is written after both records exist"},
	{CodeLookupTarget, Error, "the Dataverse lookup column does not point to the looked-up map's table"},
	{CodeSecondPassNoWhy, Error, "secondPass is only for lookups and needs a rationale"},
	{CodeSecondPassNoCycle, Warning, "secondPass on a lookup that closes no cycle: the reference stays empty until a later pass for no reason"},
	{CodeExcludedSynced, Error, "an entity excluded from sync is still mapped"},
	{CodeExclusionNoWhy, Error, "an exclusion must name an entity and say why it does not sync"},
	{CodeBulkTooLarge, Warning, "runtime bulk initial sync of more than 100,000 rows: use the package strategy (data package import, then delta)"},
	{CodeNoMonitor, Warning, "the map has no monitoring threshold (monitor.alertErrorsPerHour): errors would pile up unseen"},
	{CodeInitialLimit, Warning, "the expected rows exceed a documented initial-sync limit (500,000 per run per legal entity; about 70,000 from Dataverse)"},
	{CodeManyLookups, Warning, "maps with 10 or more lookups are not supported by an initial sync from Dataverse"},
	{CodeFilterSyntax, Error, "the source filter does not parse (DIPV1012): F&O uses query-range syntax, Dataverse OData $filter"},
	{CodeFilterField, Error, "the source filter names a field that the entity or table does not have"},
	{CodeFilterNotSource, Error, "a source filter on a side the map never reads from never applies: remove it"},
	{CodeMasterOneWay, Error, "the master side of a one-way map must be its source side"},
}
