package main

import (
	"fmt"
	"os"

	"github.com/sentinel-tools/bootstrap"
)

// exportFormats are the values of --export.
var exportFormats = map[string]bootstrap.Format{
	"cloudformation": bootstrap.FormatCloudFormation,
	"terraform":      bootstrap.FormatTerraform,
}

// checkExportFlags refuses the flags that make no sense with (or without)
// --export.
func (c *cli) checkExportFlags() error {
	if c.export == "" {
		for _, f := range []string{"output", "s3-bucket"} {
			if c.set[f] {
				return usagef("--%s goes with --export: it names where the exported template goes", f)
			}
		}
		return nil
	}
	if _, ok := exportFormats[c.export]; !ok {
		return usagef("invalid --export %q: give cloudformation or terraform", c.export)
	}
	for _, f := range []string{"plan", "yes", "destroy", "json", "detailed-exitcode"} {
		if c.set[f] {
			return usagef("--export prints the resources as code and changes nothing; drop --%s", f)
		}
	}
	if c.set["output"] && c.output == "" {
		return usagef("invalid --output \"\": give a file name, or leave the flag out to print to stdout")
	}
	return nil
}

// export prints (or writes to --output) the template of the options. It
// calls AWS only to sign, with --signing-key, so it needs credentials only
// then.
func (a *app) export(opts []bootstrap.Option) error {
	c := a.c
	s, err := c.loadAWS(a.ctx)
	if err != nil {
		return a.exportStopped(err)
	}
	if err := a.validate(s.cfg, opts); err != nil {
		return err
	}
	a.observe(s)
	if c.signingKey != "" {
		if err := s.checkCredentials(a.ctx); err != nil {
			return a.exportStopped(err)
		}
	}
	out, err := bootstrap.Export(a.ctx, s.cfg, exportFormats[c.export], opts...)
	if err != nil {
		return a.exportStopped(err)
	}
	if c.output == "" {
		_, err := a.stdout.Write(out)
		return err
	}
	if err := os.WriteFile(c.output, out, 0o644); err != nil {
		return fmt.Errorf("cannot write --output %s: %w", c.output, pathErr(err))
	}
	fmt.Fprintf(a.stderr, "%s: wrote the %s export to %s (%d bytes)\n", progName, c.export, c.output, len(out))
	return nil
}

// exportStopped is err, or after a signal, the line that says the export
// was not written, or for an endpoint that never answered, the line that
// names it.
func (a *app) exportStopped(err error) error {
	if se, ok := interrupted(a.ctx); ok {
		return interruptError{sig: se, msg: fmt.Sprintf("%s before the export was written; run the same command again to export", se)}
	}
	if u := a.unreachable(err); u != nil {
		return u
	}
	return err
}
