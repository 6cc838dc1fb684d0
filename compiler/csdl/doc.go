// Package csdl turns the OData metadata documents of F&O and Dataverse into
// the compiler's catalogs, and writes those catalogs as CUE.
//
// # Inputs
//
// ParseFO reads an F&O $metadata document (OData 4 CSDL in edmx:Edmx):
//
//  1. Every EntitySet of every EntityContainer becomes one entity, keyed by the
//     set's name (CustomersV3), not by its type's name (CustomerV3).
//  2. The key is the type's Key/PropertyRef list in order; the entity is
//     company-specific when dataAreaId is part of it.
//  3. Each Property becomes a field: Nullable="false" means required; an
//     AllowEdit annotation with value false, or Org.OData.Core.V1.Computed
//     true, means read-only. A read-only field is never required (the
//     service supplies it); a key field always is, unless read-only. A
//     property typed with an EnumType becomes an "enum" field naming the
//     enum by its namespace-qualified name, and the enum with its members
//     is recorded in the catalog (only enums that some field uses are
//     recorded). Members without a Value count on from the previous one,
//     starting at 0, as in CSDL.
//  4. ModifiedDateTime, when present with a date-time type, is the modified
//     field.
//  5. BaseType chains are folded in (base members first, nearest Key wins);
//     aliases declared by Schema and edmx:Include are resolved.
//     NavigationProperty elements carry nothing the F&O catalog records.
//
// ParseDV reads a Dataverse Web API $metadata document and, optionally, the
// JSON answer of EntityDefinitions with their Attributes expanded:
//
//  1. Every EntitySet becomes one table keyed by its type's name, which is the
//     table's logical name (account); the single key property is the primary
//     id.
//  2. A single-valued NavigationProperty whose ReferentialConstraint names a
//     property _x_value becomes one "lookup" field x; navigation properties
//     that share the same _x_value (customerid_account, customerid_contact)
//     make one polymorphic lookup whose targets are all their tables, sorted.
//     The _x_value properties are not fields of their own. A _x_value
//     property that no navigation property explains stays a plain field.
//  3. Alternate keys come from the OData.Community.Keys.V1.AlternateKeys
//     annotation; a key part naming _x_value is recorded as the lookup x.
//  4. The company field is the lookup whose only target is cdm_company. When a
//     table has several, the one used in an alternate key wins, then the
//     first by name.
//  5. Every column is optional and writable as far as CSDL says, except
//     that Org.OData.Core.V1.Computed marks a column read-only. Enum-typed
//     properties, which only the metadata entity types have, are skipped.
//  6. The attributes JSON adds what CSDL does not carry: required levels
//     (SystemRequired and ApplicationRequired mean required), read-only
//     columns (neither valid for create nor for update), choices (Picklist,
//     State and Status columns become "choice" fields with label→value),
//     string lengths, decimal places (Precision of Money, Decimal and Double
//     columns is their scale) and the table type (Standard, Virtual,
//     Elastic; "standard" when absent). A State column (statecode) is always
//     read-only: Dataverse refuses it on create and changes it through state
//     transitions, so a sync must not write it. The primary id and read-only
//     columns are never required, whatever their RequiredLevel says.
//     Entries for tables or columns that the CSDL does not have are ignored
//     (the JSON lists virtual name columns such as primarycontactidname).
//     Duplicate choice labels are kept apart by appending " (value)" to every
//     repetition after the first; an option without a label is named by its
//     value. Problems in the JSON are returned as *AttributesError, so a
//     caller can name the right file.
//
// # Types
//
// Edm primitive types map to plan types: String→string; Int16, Int32, Int64,
// Byte, SByte→int; Decimal, Double, Single→decimal (with Precision and Scale;
// Scale="Variable" is recorded as no scale); Boolean→bool; Date→date;
// DateTimeOffset→datetime; Guid→guid. TypeDefinitions resolve to their
// underlying type. Properties that no table map can sync are skipped:
// Edm.Binary, Edm.Stream, Edm.Duration, Edm.TimeOfDay, the geography and
// geometry types, collections and complex types. A type that is neither an
// Edm primitive nor declared in the document is an error that names the
// entity, the property and the line.
//
// # Errors and limits
//
// Input is read up to MaxInput bytes; a larger document is refused. Every
// error names what is wrong and where: the element, the entity or table, and
// the line in the document when it is known (an *Error carries it; the line
// of a start tag spread over several lines is its first). All problems of a
// document are reported together, up to 50, joined with errors.Join. The
// root must be edmx:Edmx in the OData 4 namespace; OData 2 and 3 documents
// are refused. Parsing never panics on any input; the fuzz tests hold that.
//
// # Output
//
// EncodeFO and EncodeDV write one CUE file each (fo.cue and dv.cue, both in
// package catalog) whose fields are exactly the JSON names of the catalog
// types, so the compiler decodes the package into a compiler.Catalog. Output
// is deterministic: map keys are sorted, lists keep their meaning's order
// (key order, alternate key order, sorted lookup targets), and the text is
// formatted by the CUE formatter. EncodeCUE writes both sides into one file.
//
// This package uses the standard library and cuelang.org/go's ast and format
// packages only.
package csdl
