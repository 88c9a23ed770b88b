#!/bin/sh
# Regenerate the hand-made seed inputs in fuzz/seeds/<target>/.  Run once
# from anywhere; the output is committed.  Compressed files are made
# byte-for-byte reproducible (gzip -n, zip -X with fixed dates).
set -eu

cd "$(dirname "$0")"
out=seeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/fuzz_xml" "$out/fuzz_json" "$out/fuzz_decomp" \
    "$out/fuzz_mail"

# --- XML ---
cat >"$out/fuzz_xml/minimal.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata>
    <org_name>example.net</org_name>
    <email>dmarc@example.net</email>
    <report_id>r1</report_id>
    <date_range><begin>1704067200</begin><end>1704153599</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>example.com</domain><adkim>r</adkim><aspf>r</aspf>
    <p>none</p><sp>none</sp><pct>100</pct>
  </policy_published>
  <record>
    <row>
      <source_ip>192.0.2.1</source_ip><count>2</count>
      <policy_evaluated>
        <disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>
      </policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results>
      <dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
      <spf><domain>example.com</domain><result>softfail</result></spf>
    </auth_results>
  </record>
</feedback>
EOF

cat >"$out/fuzz_xml/rfc9990.xml" <<'EOF'
<?xml version="1.0"?>
<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0" xmlns:x="urn:example:ext">
  <version>1.0</version>
  <report_metadata>
    <org_name>Example &amp; Co</org_name>
    <email>dmarc@example.org</email>
    <extra_contact_info>https://example.org/dmarc</extra_contact_info>
    <report_id><![CDATA[id-2]]></report_id>
    <date_range><begin> 1704067200 </begin><end>1704153599</end></date_range>
    <error>one record dropped</error>
    <generator>gen 1.0</generator>
  </report_metadata>
  <policy_published>
    <domain>Example.COM.</domain><p>reject</p><sp>quarantine</sp>
    <np>none</np><fo>1:d</fo><testing>n</testing>
    <discovery_method>treewalk</discovery_method>
  </policy_published>
  <x:extension><x:any>skipped</x:any></x:extension>
  <record>
    <row>
      <source_ip>2001:db8::1</source_ip><count>1</count>
      <policy_evaluated>
        <disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf>
        <reason><type>local_policy</type><comment>forwarded</comment></reason>
        <reason><type>mailing_list</type></reason>
      </policy_evaluated>
    </row>
    <identifiers>
      <envelope_to>example.com</envelope_to>
      <envelope_from>bounce.example.com</envelope_from>
      <header_from>example.com</header_from>
    </identifiers>
    <auth_results>
      <dkim><domain>a.example</domain><selector>k</selector><result>fail</result><human_result>bad sig</human_result></dkim>
      <dkim><domain>b.example</domain><result>none</result></dkim>
      <spf><domain>example.com</domain><scope>mfrom</scope><result>pass</result></spf>
      <spf><domain>h.example.com</domain><scope>helo</scope><result>neutral</result></spf>
    </auth_results>
  </record>
  <record>
    <row>
      <source_ip>198.51.100.7</source_ip><count>40</count>
      <policy_evaluated><disposition>quarantine</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>
    </row>
    <identities><header_from>example.com</header_from></identities>
    <auth_results><spf><domain>example.com</domain><result>pass</result></spf></auth_results>
  </record>
</feedback>
EOF

# odd but seen: BOM, comments, aliases, unknown values, a bad source_ip
printf '\357\273\277' >"$out/fuzz_xml/odd.xml"
cat >>"$out/fuzz_xml/odd.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<feedback>
  <report_metadata>
    <org_name>odd</org_name><email>a@b</email><report_id>3</report_id>
    <date_range><begin>1704067200</begin><end>1704153599</end></date_range>
  </report_metadata>
  <policy_published><domain>example.com</domain><p>NONE </p><pct>101</pct><adkim>relaxed</adkim></policy_published>
  <record>
    <row><source_ip>192.0.2.x</source_ip><count>0</count>
      <policy_evaluated><disposition>quarantined</disposition><dkim>PASS</dkim><spf>temperror</spf></policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results><dkim><domain>example.com</domain><result>permerror</result></dkim></auth_results>
  </record>
  <record>
    <row><count>1</count><policy_evaluated><disposition>none</disposition></policy_evaluated></row>
    <identifiers><header_from></header_from></identifiers>
    <auth_results/>
  </record>
</feedback>
EOF

printf '<?xml version="1.0"?>\n<html><body>not a report</body></html>\n' \
    >"$out/fuzz_xml/not-dmarc.xml"

# the repaired shapes, as the fixtures have them
for f in ../tests/fixtures/repair/ikea_xs-schema-never-closed.xml \
    ../tests/fixtures/repair/uwaterloo_unescaped-address.xml \
    ../tests/fixtures/repair/kddi_report-id-missing-lt.xml; do
	cp "$f" "$out/fuzz_xml/repair-$(basename "$f")"
done

# --- JSON ---
cat >"$out/fuzz_json/minimal.json" <<'EOF'
{"organization-name":"Example","date-range":{"start-datetime":"2024-01-01T00:00:00Z","end-datetime":"2024-01-01T23:59:59Z"},"contact-info":"tls@example.com","report-id":"r-1","policies":[{"policy":{"policy-type":"sts","policy-domain":"example.com"},"summary":{"total-successful-session-count":1,"total-failure-session-count":0}}]}
EOF

cat >"$out/fuzz_json/failures.json" <<'EOF'
{
  "organization-name": "Example Mail",
  "date-range": {"start-datetime": "2024-01-01T00:00:00Z",
                 "end-datetime": "2024-01-01T23:59:59Z"},
  "contact-info": null,
  "report-id": "2024-01-01_example.com",
  "policies": [
    {"policy": {"policy-type": "sts",
                "policy-string": ["version: STSv1", "mode: enforce",
                                  "mx: mx1.example.com", "max_age: 86400"],
                "policy-domain": "example.com",
                "mx-host": ["mx1.example.com", "*.example.com"]},
     "summary": {"total-successful-session-count": 5,
                 "total-failure-session-count": 2},
     "failure-details": [
       {"result-type": "certificate-host-mismatch",
        "sending-mta-ip": "192.0.2.5",
        "receiving-mx-hostname": "mx1.example.com",
        "receiving-mx-helo": "mx1",
        "receiving-ip": "2001:db8::25",
        "failed-session-count": 2,
        "additional-information": "https://example.com/why",
        "failure-reason-code": "X509_V_ERR"}]},
    {"policy": {"policy-type": "tlsa",
                "policy-string": ["[\"3 1 1 AB\",\"3 1 1 CD\"]"],
                "policy-domain": "example.com",
                "mx-host": "mx2.example.com"},
     "summary": {"total-successful-session-count": 0}}
  ]
}
EOF

cat >"$out/fuzz_json/no-zone.json" <<'EOF'
{"organization-name":"x","date-range":{"start-datetime":"2024-01-01T00:00:00","end-datetime":"2024-01-02 00:00:00"},"report-id":"z","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.org"},"summary":{"total-successful-session-count":9223372036854775807,"total-failure-session-count":1}}]}
EOF

printf '{"hello":[1,2.5,true,null,"\\u00e9"]}\n' >"$out/fuzz_json/not-tlsrpt.json"

# --- containers ---
d=$out/fuzz_decomp
cp "$out/fuzz_xml/minimal.xml" "$d/minimal.xml"
cp "$out/fuzz_json/minimal.json" "$d/minimal.json"
gzip -n -9 -c "$out/fuzz_xml/minimal.xml" >"$d/minimal.xml.gz"
gzip -n -9 -c "$out/fuzz_json/failures.json" >"$d/failures.json.gz"
# two members and a trailing CRLF, as Mimecast sends
{ head -c 200 "$out/fuzz_xml/minimal.xml" | gzip -n -1
  tail -c +201 "$out/fuzz_xml/minimal.xml" | gzip -n -1
  printf '\r\n'; } >"$d/two-members.xml.gz"

mkdir "$tmp/z"
cp "$out/fuzz_xml/minimal.xml" "$tmp/z/example.com!example.net!1704067200!1704153599.xml"
cp "$out/fuzz_json/minimal.json" "$tmp/z/tls.json"
cp "$d/minimal.xml.gz" "$tmp/z/inner.xml.gz"
mkdir "$tmp/z/dir"
find "$tmp/z" -exec touch -d '2024-01-01 00:00:00' {} +
(cd "$tmp/z" && zip -q -X -D -9 "$tmp/minimal.zip" \
    'example.com!example.net!1704067200!1704153599.xml')
(cd "$tmp/z" && zip -q -X -9 "$tmp/nested.zip" dir \
    'example.com!example.net!1704067200!1704153599.xml' tls.json \
    inner.xml.gz)
(cd "$tmp/z" && zip -q -X -0 "$tmp/stored.zip" tls.json)
cp "$tmp/minimal.zip" "$tmp/nested.zip" "$tmp/stored.zip" "$d/"
gzip -n -c "$tmp/minimal.zip" >"$d/zip-in.gz"

# --- mail ---
b64() { base64 -w 76 "$1"; }
boundary=b1_a5d3
{
cat <<EOF
Return-Path: <noreply-dmarc@example.net>
From: noreply-dmarc@example.net
To: dmarc@example.com
Subject: Report domain: example.com Submitter: example.net Report-ID: <r1>
Date: Mon, 01 Jan 2024 06:00:00 +0000
Message-ID: <r1@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="$boundary"

--$boundary
Content-Type: text/plain; charset=us-ascii

This is an aggregate report from example.net.

--$boundary
Content-Type: application/gzip;
 name="example.com!example.net!1704067200!1704153599.xml.gz"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
 filename="example.com!example.net!1704067200!1704153599.xml.gz"

EOF
b64 "$d/minimal.xml.gz"
printf '\n--%s--\n' "$boundary"
} | sed 's/$/\r/' >"$out/fuzz_mail/gzip-attachment.eml"

# a single-part message: the zip is the body
{
cat <<'EOF'
From: dmarc@example.org
To: dmarc@example.com
Subject: Report domain: example.com
MIME-Version: 1.0
Content-Type: application/zip; name="report.zip"
Content-Transfer-Encoding: base64

EOF
b64 "$d/minimal.zip"
} >"$out/fuzz_mail/zip-body.eml"

# a forwarded report: message/rfc822 holding a quoted-printable XML part
{
cat <<'EOF'
From: postmaster@example.com
To: dmarc@example.com
Subject: Fwd: DMARC report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

See the attached message.
--outer
Content-Type: message/rfc822

From: dmarc@example.org
Subject: Report domain: example.com
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/xml; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Content-Disposition: attachment; filename=report.xml

EOF
sed -e 's/=/=3D/g' -e 's/$/=/' "$out/fuzz_xml/minimal.xml"
printf '\n--inner--\n--outer--\n'
} >"$out/fuzz_mail/forwarded.eml"

# an mbox of two messages: a TLS-RPT .json.gz and a DMARC zip
{
cat <<'EOF'
From tlsrpt@example.net Mon Jan  1 06:00:00 2024
From: tlsrpt@example.net
To: tls@example.com
Subject: Report Domain: example.com Submitter: example.net Report-ID: <t1>
MIME-Version: 1.0
TLS-Report-Domain: example.com
TLS-Report-Submitter: example.net
Content-Type: multipart/report; report-type="tlsrpt"; boundary="t1"

--t1
Content-Type: text/plain

TLS report attached.
--t1
Content-Type: application/tlsrpt+gzip; name="example.net!example.com!1704067200!1704153599.json.gz"
Content-Transfer-Encoding: base64

EOF
b64 "$d/failures.json.gz"
cat <<'EOF'
--t1--

From dmarc@example.org Mon Jan  1 07:00:00 2024
From: dmarc@example.org
To: dmarc@example.com
Subject: Report domain: example.com
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m2"

--m2
Content-Type: application/zip; name="r.zip"
Content-Transfer-Encoding: base64

EOF
b64 "$d/minimal.zip"
printf -- '--m2--\n\n'
} >"$out/fuzz_mail/two.mbox"

cp "$out/fuzz_mail/gzip-attachment.eml" "$d/gzip-attachment.eml"
cp "$out/fuzz_mail/two.mbox" "$d/two.mbox"
