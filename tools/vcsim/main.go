// Command vcsim starts VMware's vCenter simulator (govmomi's simulator and
// vapi/simulator packages) for clo's dev stack and tests.
//
// The upstream vcsim command cannot be installed with `go install pkg@version`
// because its go.mod carries a replace directive; the root govmomi module has
// none, so this small main pins it like any other dependency.
//
// On start it prints one JSON line to stdout describing the endpoint, then
// serves until SIGINT or SIGTERM.
package main

import (
	"crypto/sha1"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers the /rest endpoints
)

type endpoint struct {
	URL        string `json:"url"`
	Datastore  string `json:"datastore"`
	Thumbprint string `json:"thumbprint,omitempty"`
	CertFile   string `json:"cert_file,omitempty"`
	PID        int    `json:"pid"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	useTLS := flag.Bool("tls", false, "serve HTTPS with the simulator's self-signed certificate")
	flag.Parse()

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: create model: %v", err)
	}
	defer model.Remove()

	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: *listen}
	if *useTLS {
		model.Service.TLS = new(tls.Config)
	}
	server := model.Service.NewServer()
	defer server.Close()

	ep := endpoint{
		// Clients talk to the vCenter root; the /sdk suffix is for SOAP only.
		URL:       strings.TrimSuffix(server.URL.Scheme+"://"+server.URL.Host, "/"),
		Datastore: model.Map().Any("Datastore").Reference().Value,
		PID:       os.Getpid(),
	}
	if *useTLS {
		sum := sha1.Sum(server.Certificate().Raw)
		parts := make([]string, len(sum))
		for i, b := range sum {
			parts[i] = fmt.Sprintf("%02X", b)
		}
		ep.Thumbprint = strings.Join(parts, ":")
		if f, err := server.CertificateFile(); err == nil {
			ep.CertFile = f
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(ep); err != nil {
		log.Fatalf("vcsim: write endpoint: %v", err)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
