// Package odata is the runtime's HTTP connectors: FO speaks F&O's OData
// service (/data) and DV the Dataverse Web API (/api/data/v9.2). Both
// implement dsruntime.Connector and present values to the engine the way
// the simulator's in-process adapters do: lookups as the referenced
// record's key (engine.JoinKey, company code first), F&O enums as member
// names, Dataverse choices as integers, decimals exact.
//
// # Authentication and transport
//
//  1. A token comes from OAuth 2.0 client credentials: POST
//     <login>/<tenant>/oauth2/v2.0/token with client_id, client_secret and
//     scope <resource>/.default (golang.org/x/oauth2/clientcredentials).
//     It is cached and refreshed shortly before it expires, and sent as a
//     bearer token on every request.
//  2. The secret comes from the environment or a file (SecretFromEnv,
//     SecretFromFile), never from the plan. Secret prints as "[redacted]"
//     everywhere; token endpoint answers are reduced to their error code
//     and first description line; no request header is ever logged.
//  3. TLS is always verified; TLS.CAFile adds a private CA to the system
//     roots. There is no way to switch verification off.
//  4. Every request carries Accept: application/json and OData-Version 4.0.
//     Bodies are read up to Config.MaxResponseBytes. Links from answers
//     (@odata.nextLink, @odata.deltaLink) are followed only when they stay
//     below the service root on the same host.
//  5. GETs are idempotent and tried again after network errors and
//     502/503/504 (exponential backoff with jitter) and after 429 when its
//     Retry-After is short enough. Writes are never retried here: a failed
//     write becomes a result classified with dsruntime.Classify (429 →
//     throttled with RetryAfter, so the engine waits; 412/404/409 →
//     version mismatch; and so on), and the engine decides. After a 429
//     the connector sends nothing until the Retry-After has passed: GETs
//     wait for it (up to Config.MaxRetryWait), writes fail at once as
//     throttled with the time left, so that polls do not spend the budget
//     the writes wait for.
//  6. Apply keeps at most Config.Concurrency requests in flight; on
//     Dataverse the x-ms-dop-hint answer header lowers that bound.
//  7. A 401 drops the cached token; the request is sent once more with a
//     new one.
//
// # F&O
//
// Keys: a record is addressed by every key field, dataAreaId included,
// string literals in single quotes with a quote inside doubled, and the
// segment percent-encoded:
//
//	CustomersV3(dataAreaId='usmf',CustomerAccount='O''Brien')
//
// Change capture (F&O has no delta links):
//
//  1. GET <EntitySet>?cross-company=true&$filter=<ModifiedField> ge
//     <mark minus Config.Overlap>&$select=...&$orderby=<ModifiedField>,
//     <key fields> with Prefer: odata.maxpagesize; the first poll (cursor
//     "") has no filter and reads every row.
//  2. Follow @odata.nextLink until limit new rows are gathered.
//  3. Skip rows already returned: those at exactly the mark by the digests
//     in the cursor, the others inside the window from memory while the
//     driver continues from the last cursor (after a restart they are
//     returned again and the engine suppresses them).
//  4. The cursor is "fo1 <mark> <digest>,...": see foCursor.
//
// Deletes are not visible through OData queries: a deleted row simply stops
// appearing. FO.Changes never reports a delete; FO.Read reports one (404).
// Detecting F&O deletes needs data management change tracking or business
// events, which this package does not implement; a full re-read with
// reconcile finds them.
//
// Writes: a create is POST <EntitySet> with key and values (an existing
// key fails with F&O's "already exists" write exception → version
// mismatch); an update is PATCH <EntitySet>(<key>)?cross-company=true with
// If-Match; a delete is DELETE with If-Match. Enums are written as plain
// member names, lookups as the referenced business key (in the record's
// company), null text as "" (F&O text is never null). Prefer:
// return=representation asks for the stored row; when an answer has no
// body the row is read back (Config.NoReadBack turns that off). With
// Config.Batch the writes go in $batch requests, one change set per write.
//
// # Dataverse
//
// Keys: a record is addressed by its alternate key,
// accounts(accountnumber='X',_msdyn_company_value=<guid>), the company
// lookup by the id of its cdm_company, found once per code with GET
// cdm_companies?$filter=cdm_companycode eq '<code>' and cached. Dataverse
// cannot address a record by a key value that contains / < > * % & : \ ?
// or +: such a record is read with a $filter query, and written by its
// primary id (from the id cache or that query; a create is a POST to the
// collection with the key in the body). No URL is ever built from such a
// value.
//
// Change capture:
//
//  1. GET <set>?$select=<id, key columns, mapped columns, modifiedon> with
//     Prefer: odata.track-changes,odata.maxpagesize=<limit>; the table must
//     have change tracking enabled.
//  2. While an answer has @odata.nextLink the cursor is "dv1 next <link>"
//     and Page.More is set; the last page's @odata.deltaLink becomes the
//     cursor "dv1 delta <link>" (links relative to the service root).
//  3. Following the delta link returns changed rows and deleted entries
//     ({"@odata.context":"...$deletedEntity","id":"<guid>"}), named by
//     id only: the IDCache maps them back to keys. An id the cache does not
//     know is logged and skipped (see IDCache for why production needs a
//     persistent cache).
//  4. A delta token the service refuses as expired fails with an error
//     wrapping dsruntime.ErrCursorExpired: the driver reads again from "".
//
// Values: lookups are read as _<name>_value ids and turned into the
// referenced record's key through the IDCache, else with GET
// <set>(<id>)?$select=<key columns> (a dangling id reads as null); choices
// are integers; empty text reads as null.
//
// Writes go in $batch requests (POST $batch, multipart/mixed, Prefer:
// odata.continue-on-error), one change set per write: PATCH <set>(<key>)
// with If-None-Match: * for a create (an existing record answers 412 →
// version mismatch), If-Match: <etag> for an update (If-Match: * when the
// version is unknown, so that an update never creates), and Prefer:
// return=representation, so that the acknowledgement carries the stored
// values and the new ETag. Lookups are written as
// "<name>@odata.bind":"/<set>(<alternate key>)", the company of a created
// record as "<company>@odata.bind":"/cdm_companies(<id>)".
//
// With Config.UpsertMultiple, upserts go instead to POST
// <set>/Microsoft.Dynamics.CRM.UpsertMultiple, Config.BatchSize targets a
// request, each with @odata.type and @odata.id. That is meant for bulk
// loads and gives up three things: the per-record conditions (a create
// updates an existing record, an update ignores its version), the stored
// values and new versions (the action answers 204, so the next write to
// each record first meets a version mismatch and a re-read), and
// independence (one failing record fails the whole request).
//
// # Malformed answers
//
// Nothing a service sends can panic the connectors. A change page over the
// size cap is asked for again with half the page size, down to one row. An
// answer that is not the expected JSON, a single row over the cap, or an
// unreadable $batch answer fails the call (Changes, Read) or the writes it
// carried (transient). A row that cannot be read (bad JSON, a value of the wrong
// type, a missing key or id, an enum value that is not a member name) is
// a Rejected with its raw payload, and Changes goes on: it is passed to
// Config.OnReject when that is set, or else returned in Page.Rejected,
// which the driver queues as a malformed error-queue entry. Read returns
// such a row as a *RowError that names it.
// Enum members and choices that are well formed but missing from a value
// map are passed on: the engine queues them as invalid values with the
// map's source position.
//
// # Deviations
//
// The plan's source filters are not applied (Dataverse change tracking
// refuses $filter, and F&O filters are in query-range syntax); neither
// do the in-process adapters apply them.
package odata
