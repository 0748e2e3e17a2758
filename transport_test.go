package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCertificate generates a self-signed certificate for 127.0.0.1 and writes it and its key
// as PEM files in dir; it returns their paths and the certificate.
func writeCertificate(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "custreg test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// TestServesTLSWithHSTS: with --tls-cert and --tls-key the sandbox serves HTTPS (TLS 1.2 at
// least, HTTP/2 offered) on loopback with a generated certificate, every answer carries HSTS,
// plain HTTP on that port is refused, and TLS 1.1 is not accepted.
func TestServesTLSWithHSTS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := writeCertificate(t, dir)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--sandbox", "--db", filepath.Join(dir, "custreg.db"), "--addr", addr,
			"--tls-cert", certFile, "--tls-key", keyFile}, env(nil), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	base := "https://" + addr
	var res *http.Response
	var err error
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err = client.Get(base + "/readyz"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Strict-Transport-Security") != "max-age=31536000" || res.ProtoMajor != 2 {
		t.Fatalf("HTTPS /readyz: %d %s HSTS %q", res.StatusCode, res.Proto, res.Header.Get("Strict-Transport-Security"))
	}
	res, err = client.Get(base + "/v1/accounts") // an error answer carries it too
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode < 400 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("error answer over TLS: %d HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	if res, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Errorf("plain HTTP on the TLS port answered %d", res.StatusCode)
		}
	}
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS11}}}
	if res, err := old.Get(base + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("TLS 1.1 was accepted")
	}
}

// TestConnectionsAreCapped: with --max-connections 2, two open connections leave a third
// unanswered until one of them closes.
func TestConnectionsAreCapped(t *testing.T) {
	base, _ := startSandbox(t, filepath.Join(t.TempDir(), "custreg.db"), "--max-connections", "2")
	addr := base[len("http://"):]
	// waitFor's keep-alive connection may still be open: close idle ones first.
	http.DefaultClient.CloseIdleConnections()
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	// Both are accepted once the server has served them a request (so the slots are theirs).
	for _, c := range held {
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 12)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "HTTP/1.1 200" {
			t.Fatalf("held connection: %q %v", buf, err)
		}
	}
	third := &http.Client{Timeout: 700 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := third.Get(base + "/healthz")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a third connection was served beyond the cap: %v", err)
	}
	held[0].Close()
	third.Timeout = 10 * time.Second
	res, err := third.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("after one closed: %v", err)
	}
	res.Body.Close()
	held[1].Close()
}
