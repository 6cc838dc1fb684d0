package odata

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Secret is a client secret. It never prints: fmt, slog and encoding/json
// all show "[redacted]". Only Reveal gives the text, for the token request.
type Secret struct{ s string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{s: s} }

// SecretFromEnv reads a secret from the environment variable name.
func SecretFromEnv(name string) (Secret, error) {
	v, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return Secret{}, fmt.Errorf("environment variable %s is not set", name)
	}
	return Secret{s: strings.TrimSpace(v)}, nil
}

// SecretFromFile reads a secret from a file (for example a mounted secret
// volume); surrounding white space is dropped.
func SecretFromFile(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		// The error names the file, never its content.
		return Secret{}, fmt.Errorf("read secret file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return Secret{}, fmt.Errorf("secret file %s is empty", path)
	}
	return Secret{s: s}, nil
}

// Reveal returns the secret's text.
func (s Secret) Reveal() string { return s.s }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.s == "" }

const redacted = "[redacted]"

// String hides the secret.
func (s Secret) String() string { return redacted }

// GoString hides the secret.
func (s Secret) GoString() string { return redacted }

// Format hides the secret for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue hides the secret from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON hides the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText hides the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// DefaultLoginURL is Microsoft Entra ID's authority.
const DefaultLoginURL = "https://login.microsoftonline.com"

// Auth holds the OAuth 2.0 client-credentials settings of one service. The
// token URL is <LoginURL>/<Tenant>/oauth2/v2.0/token and the scope
// <Resource>/.default.
type Auth struct {
	// LoginURL is the authority. Default DefaultLoginURL.
	LoginURL string
	Tenant   string
	ClientID string
	Secret   Secret
	// Resource is the service's URL the token is for; default the origin
	// of the connector's URL (https://<org>.crm.dynamics.com,
	// https://<env>.operations.dynamics.com).
	Resource string
}

// Enabled reports whether the settings ask for a token.
func (a Auth) Enabled() bool { return a.ClientID != "" || a.Tenant != "" }

// TokenURL returns the token endpoint.
func (a Auth) TokenURL() string {
	login := a.LoginURL
	if login == "" {
		login = DefaultLoginURL
	}
	return strings.TrimRight(login, "/") + "/" + url.PathEscape(a.Tenant) + "/oauth2/v2.0/token"
}

// TLS holds the transport security settings. Verification is always on.
type TLS struct {
	// CAFile is a PEM bundle of extra root certificates trusted besides
	// the system's (a private CA in front of the services, or the
	// simulator's test CA).
	CAFile string
}

// NewHTTPClient returns an HTTP client for a service: TLS verified against
// the system roots plus tlsc.CAFile, and, when auth is enabled, a bearer
// token from the client-credentials flow on every request, fetched and
// refreshed before it expires. The token request uses the same TLS
// settings. resource is the default Auth.Resource.
func NewHTTPClient(auth Auth, tlsc TLS, resource string) (*http.Client, error) {
	c, _, err := newHTTPClient(auth, tlsc, resource)
	return c, err
}

// newHTTPClient is NewHTTPClient that also returns the token cache (nil
// without auth), so that a connector can drop a token the service refused.
func newHTTPClient(auth Auth, tlsc TLS, resource string) (*http.Client, *tokenCache, error) {
	base, err := newTransport(tlsc)
	if err != nil {
		return nil, nil, err
	}
	plain := &http.Client{Transport: base, Timeout: 2 * time.Minute}
	if !auth.Enabled() {
		return plain, nil, nil
	}
	if auth.Tenant == "" || auth.ClientID == "" || auth.Secret.IsZero() {
		return nil, nil, errors.New("auth needs a tenant, a client ID and a secret")
	}
	if auth.Resource == "" {
		auth.Resource = resource
	}
	if auth.Resource == "" {
		return nil, nil, errors.New("auth needs a resource URL")
	}
	cc := &clientcredentials.Config{
		ClientID:     auth.ClientID,
		ClientSecret: auth.Secret.Reveal(),
		TokenURL:     auth.TokenURL(),
		Scopes:       []string{strings.TrimRight(auth.Resource, "/") + "/.default"},
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	tc := &tokenCache{cc: cc, client: plain}
	return &http.Client{
		Transport: &oauth2.Transport{Source: tc, Base: base},
		Timeout:   2 * time.Minute,
	}, tc, nil
}

// tokenCache holds the current token and fetches a new one when it is
// about to expire or was dropped (the service answered 401).
type tokenCache struct {
	cc     *clientcredentials.Config
	client *http.Client

	mu  sync.Mutex
	tok *oauth2.Token
}

// Token returns a valid token, fetching one when needed.
func (c *tokenCache) Token() (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.Valid() { // false for nil and within a few seconds of expiry
		return c.tok, nil
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.client)
	t, err := redactingSource{c.cc.TokenSource(ctx)}.Token()
	if err != nil {
		return nil, err
	}
	c.tok = t
	return t, nil
}

// drop forgets the current token.
func (c *tokenCache) drop() {
	c.mu.Lock()
	c.tok = nil
	c.mu.Unlock()
}

// redactingSource keeps token endpoint answers out of errors: the oauth2
// package quotes the endpoint's body, which is not ours to print.
type redactingSource struct{ ts oauth2.TokenSource }

func (r redactingSource) Token() (*oauth2.Token, error) {
	t, err := r.ts.Token()
	if err == nil {
		return t, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		msg := re.ErrorCode
		if re.ErrorDescription != "" {
			// Entra's descriptions name the problem (AADSTS codes), never
			// the secret.
			msg += ": " + firstLine(re.ErrorDescription)
		}
		return nil, &TokenError{Status: status, Message: msg}
	}
	return nil, &TokenError{Message: err.Error()}
}

// TokenError is a failed token request.
type TokenError struct {
	Status  int
	Message string
}

func (e *TokenError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("token request: %d: %s", e.Status, e.Message)
	}
	return "token request: " + e.Message
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// newTransport returns an HTTP transport that verifies TLS against the
// system roots and the certificates in tlsc.CAFile.
func newTransport(tlsc TLS) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tlsc.CAFile != "" {
		pem, err := os.ReadFile(tlsc.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", tlsc.CAFile)
		}
		cfg.RootCAs = pool
	}
	t.TLSClientConfig = cfg
	return t, nil
}
