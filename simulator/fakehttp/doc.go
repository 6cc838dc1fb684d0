// Package fakehttp puts the simulator's F&O and Dataverse models
// (simulator/fake) behind real HTTP, with an OAuth 2.0 token service in
// front: three listeners that can be stopped and restarted one at a time,
// speaking the services' protocols closely enough that the runtime's HTTP
// connectors run against them unchanged.
//
//	s, err := fakehttp.Start(fakehttp.Config{Plan: p, Sample: fakehttp.Sample{PerCompany: 3}})
//	defer s.Close()
//	// s.FOURL(), s.DVURL(), s.LoginURL(), s.TokenURL(tenant), s.CACert()
//	// s.StopDV() ... s.StartDV(); s.FO / s.DV are the models; s.Stats()
//
// # Routes
//
// Token service (LoginURL):
//
//	POST /<tenant>/oauth2/v2.0/token    client credentials (form or HTTP Basic);
//	                                    scope "<service URL>/.default"
//
// F&O (FOURL, service root /data):
//
//	GET    /data/                        service document
//	GET    /data/$metadata               CSDL: generated from the plan, or Config.FOMetadata
//	GET    /data/<Set>                   cross-company=true, $filter, $select, $orderby,
//	                                     $top, $skip, $count; pages of Config.FOPageSize
//	                                     (at most 10,000; Prefer odata.maxpagesize lowers
//	                                     it) with @odata.nextLink
//	GET    /data/<Set>/$count            the number of records, as text
//	POST   /data/<Set>                   create: 201 with the record, Location and ETag
//	                                     (204 with Prefer: return=minimal)
//	GET    /data/<Set>(<key>)            every key field, dataAreaId included
//	PATCH  /data/<Set>(<key>)            update (PUT and MERGE alike), If-Match: 204 + ETag
//	DELETE /data/<Set>(<key>)            If-Match: 204
//	POST   /data/$batch                  multipart/mixed; atomic change sets; ≤ 5,000 operations
//
// Dataverse (DVURL, service root /api/data/v9.2; v9.0 and v9.1 too):
//
//	GET    /api/data/v9.2/                          service document
//	GET    /api/data/v9.2/$metadata                 CSDL: generated, or Config.DVMetadata
//	GET    /api/data/v9.2/WhoAmI                    fixed ids
//	GET    /api/data/v9.2/<set>                     $select, $filter, $orderby, $top, $count;
//	                                                Prefer odata.maxpagesize (default and at
//	                                                most 5,000), @odata.nextLink with $skiptoken;
//	                                                $skip and $expand refused (400)
//	GET    /api/data/v9.2/<set>  + Prefer: odata.track-changes
//	                                                every record, then @odata.deltaLink with
//	                                                $deltatoken; following it: changed records,
//	                                                then {"@odata.context":"…#<set>/$deletedEntity",
//	                                                "id":"<guid>","reason":"deleted"}; $filter,
//	                                                $orderby, $expand, $top refused (400)
//	GET    /api/data/v9.2/<set>(<guid>)             by primary id
//	GET    /api/data/v9.2/<set>(<alternate key>)    e.g. accounts(_msdyn_company_value=<guid>,accountnumber='O''Brien')
//	PATCH  /api/data/v9.2/<set>(<key>)              upsert: 204 + OData-EntityId; Prefer:
//	                                                return=representation 201/200 + body + ETag;
//	                                                If-Match: * update only (404), If-None-Match: *
//	                                                create only (412), If-Match: W/"n" stale (412)
//	POST   /api/data/v9.2/<set>                     create with a new id: 204 + OData-EntityId
//	DELETE /api/data/v9.2/<set>(<key>)              204; If-Match
//	POST   /api/data/v9.2/<set>/Microsoft.Dynamics.CRM.UpsertMultiple
//	                                                {"Targets":[…]}: all or nothing, 204
//	POST   /api/data/v9.2/$batch                    multipart/mixed; change sets, Content-ID;
//	                                                ≤ 1,000 requests; stops at the first failure
//	                                                unless Prefer: odata.continue-on-error
//	GET    /api/data/v9.2/cdm_companies[(…)]         the legal entities: by id, by
//	                                                (cdm_companycode='usmf'), or $filter
//
// Every listener also answers GET /healthz without a token (a simulator
// extension for container readiness), and, with Config.Faults, fault
// controls for tests (Authorization: Bearer <Config.AdminToken>; not
// served at all otherwise):
//
//	GET|POST|DELETE /_faults             list, set (fake.Fault as JSON, one or an
//	                                     array; durations "1.5s" or seconds), clear
//	DELETE /_faults/<name>               clear one fault
//	GET    /_faults/stats                Stats
//	POST   /_faults/expire-delta-tokens  Dataverse: expire every delta token
//	GET|PUT /_faults/protection          Dataverse: service protection limits
//	GET|PUT /_faults/load                F&O: load limits
//
// The token service takes outage, network, transient and latency faults.
//
// # Protocol details
//
// Tokens: JWTs signed at Start; the audience is the scope's resource and
// each service accepts only its own (Config.FOResource/DVResource, or by
// default the origin the request is addressed to), so a Dataverse token
// never opens F&O. A missing, forged, expired or foreign token answers 401
// with WWW-Authenticate and the service's error JSON. Token errors are
// Entra's JSON: invalid_client (401, AADSTS7000215/7000216),
// unauthorized_client (400, AADSTS700016), invalid_scope (400,
// AADSTS1002012), invalid_request, unsupported_grant_type.
//
// Keys: the path is percent-decoded once, then parsed honouring quotes
// (a quote inside a string is doubled). F&O needs every key field (400 "The number of keys
// specified in the URI does not match ..."); a one-field key may be given
// bare, Set('X'). Dataverse addresses by GUID or by the whole alternate
// key, a lookup column written _<name>_value=<guid> (or <name>=<guid>);
// any other shape answers 400 "The key in the request URI is not valid for
// resource ...". Key values containing / < > * % & : \ ? + answer 400 on
// both services (Dataverse's documented limitation; on F&O the web
// server's request-path validation), except inside an F&O $batch, whose
// parts are not paths.
//
// $filter: eq ne gt ge lt le, and or not, parentheses; string literals
// with doubled quotes, integers, decimals, true/false/null, dates, date-times
// (ModifiedDateTime ranges), GUIDs; on F&O enum literals
// Microsoft.Dynamics.DataEntities.<Enum>'<Member>' (eq and ne only; the
// enum type must be the property's, as $metadata names it, and the member
// valid) and '*' wildcards in string equality; on Dataverse contains,
// startswith and endswith, lookups as _<name>_value. has, in, arithmetic
// and other functions answer 400. Strings compare without regard to case;
// a comparison with a null value is false (SQL's rule), except eq null.
//
// Dataverse bodies: choices are integers, lookups are set with
// "<name>@odata.bind": "/<set>(<key>)" (also "<set>(<key>)", an absolute
// URL, or "$<Content-ID>" in a change set) and read as _<name>_value;
// system columns (primary id, createdon, modifiedon, versionnumber) are
// answered and ignored on write; annotations are ignored.
//
// $batch: parts are application/http requests or change sets; a change
// set's requests run in one transaction of the model (fake.FOWire.Atomic,
// fake.DVWire.Atomic): one failure rolls back the others and answers for
// the change set. URLs may be absolute, absolute paths or relative to the
// service root, or $<Content-ID>. The batch counts as one request for
// faults and service protection.
//
// Throttling: Dataverse's service protection per user (client ID) over a
// sliding window on the configured clock: requests (0x80072322), combined
// execution time (0x80072321, wall-clock durations), concurrent requests
// (0x80072326); 429 with Retry-After in seconds (until the window frees
// up); x-ms-dop-hint and x-ms-ratelimit-*-remaining-xrm-requests on every
// answer. F&O answers 429 "... high resource utilization." under
// Config.FOLoad. The models' faults (throttle, transient, outage,
// network, latency, plug-in) apply to every request; an outage or network
// fault drops the connection without an answer.
//
// # Deviations from the real services
//
//   - Entity type names, enum type names and enum member values in the
//     generated F&O $metadata come from the plan (CustomersV3Entity,
//     PreferredContactMethod, members numbered in name order); serve the
//     real document with Config.FOMetadata (or --data) to get the real
//     names, which $filter then checks.
//   - F&O's nextLink pages by $skip; Dataverse's $skiptoken is opaque but
//     not a paging cookie. Both are to be followed as given.
//   - Delta tokens and their expiry are the model's (see simulator/fake):
//     an expired token answers 400 with code fake.CodeDeltaTokenExpired,
//     not a documented Dataverse code.
//   - cross-company is checked on reads only; writes reach any company.
//   - F&O records carry only the plan's fields; dates that F&O stores as
//     1900-01-01 are null. PATCH answers with an ETag header.
//   - $expand is not modelled (400); Dataverse @odata.count stops at 5,000.
//   - Service protection does not lengthen Retry-After under sustained
//     pressure; F&O's per-user limits are not modelled (removed in 10.0.36).
//   - F&O needs no per-application user mapping: any registered client
//     reaches both services.
//   - cdm_companies is read-only; when the Dataverse model lists no
//     companies, a company asked for by code (by key, or $filter
//     cdm_companycode eq '...') is created on first use.
package fakehttp
