# records-csv.awk: the records of one DMARC report as CSV rows shaped like
# the records table, for the \copy floor of the ingest benchmark.
#
#	dmarcctl parse --records FILE | awk -f bench/records-csv.awk
#
# Input: the JSON lines of `dmarcctl parse --records` for a report of
# bench/gen (one report line, then one {"record":...} line per record).
# Output: one CSV line per record, in the column order of sql/001_core.sql:
#
#	domain, report, rec_no, begin_at, source_ip, source_text, count,
#	disposition, dkim, spf, header_from, envelope_from, envelope_to, flags
#
# report is 1 and flags 0, as for the first report a fresh database gets;
# NULL is an empty unquoted field (COPY's CSV default).  Values that hold
# a comma, a quote or a newline are quoted.  Only the JSON that dmarcctl
# writes is understood (one object per line, string escapes \" \\ \/ and
# \n; no \u), which is all that gen's reports need.

# the raw value of "key": in s: a string (unescaped), a number, or "\001"
# for null; "\002" when the key is absent
function field(s, key,    i, rest, out, c, n) {
	i = index(s, "\"" key "\":")
	if (i == 0)
		return "\002"
	rest = substr(s, i + length(key) + 3)
	if (substr(rest, 1, 4) == "null")
		return "\001"
	if (substr(rest, 1, 1) != "\"") {
		match(rest, /^-?[0-9]+/)
		return substr(rest, 1, RLENGTH)
	}
	out = ""
	n = length(rest)
	for (i = 2; i <= n; i++) {
		c = substr(rest, i, 1)
		if (c == "\"")
			return out
		if (c == "\\") {
			i++
			c = substr(rest, i, 1)
			if (c == "n")
				c = "\n"
			else if (c == "t")
				c = "\t"
			else if (c == "r")
				c = "\r"
		}
		out = out c
	}
	return out
}

function csv(v) {
	if (v == "\001" || v == "\002")
		return ""
	if (v == "" || v ~ /[",\n\r]/) {
		gsub(/"/, "\"\"", v)
		return "\"" v "\""
	}
	return v
}

/^\{"record":/ {
	if (!have_report) {
		print "records-csv: a record before its report" > "/dev/stderr"
		exit 1
	}
	n++
	printf "%s,1,%d,%s,%s,,%s,%s,%s,%s,%s,%s,%s,0\n", domain, n, begin,
	    csv(field($0, "source_ip")), csv(field($0, "count")),
	    csv(field($0, "disposition")), csv(field($0, "dkim")),
	    csv(field($0, "spf")), csv(field($0, "header_from")),
	    csv(field($0, "envelope_from")), csv(field($0, "envelope_to"))
	next
}

/^\{"file":/ {
	if (have_report) {
		print "records-csv: more than one report" > "/dev/stderr"
		exit 1
	}
	have_report = 1
	domain = csv(field($0, "domain"))
	begin = csv(field($0, "begin"))
	next
}

END {
	if (!have_report)
		exit 1
}
