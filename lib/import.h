/*
 * import.h - turn a Postfix main.cf into an mxwall.conf
 * (`mxwallctl import-postfix MAIN.CF`).
 *
 * What is carried over: the client part of smtpd_*_restrictions and
 * postscreen's DNS list settings -
 *   reject_rbl_client, permit_dnswl_client     -> dnsbl_sites (filters
 *                                                 kept, weights chosen so
 *                                                 one listing decides, as
 *                                                 in Postfix);
 *   reject_rhsbl_client, _reverse_client,
 *   permit_rhswl_client                        -> rhsbl_sites;
 *   check_client_access (regexp, pcre / cidr)  -> client_checks /
 *                                                 client_access;
 *   check_reverse_client_hostname_access       -> reverse_client_checks;
 *   check_helo/sender/recipient_access         -> helo/sender/
 *                                                 recipient_checks;
 *   permit_mynetworks + mynetworks             -> mynetworks;
 *   reject_unknown_client_hostname (and its old
 *   name reject_unknown_client), reject_unknown_reverse_client_hostname
 *                                              -> an inline rule on the
 *                                                 name "unknown";
 *   postscreen_dnsbl_sites, _threshold, the allowlist threshold (3.6
 *   name and its old "whitelist" form), _min_ttl, _max_ttl, _timeout,
 *   postscreen_access_list cidr: tables.
 * Every other restriction is listed in a comment with the reason it is
 * not carried over, so each one of the input is accounted for. Lists
 * known to be dead or to list everything (dnsbl_dead.h) are left out with
 * a comment; a replaced list is swapped for its replacement. Each comment
 * names the main.cf line it is about.
 *
 * $name references in the values read are expanded as Postfix expands
 * them (config_expand) against the same main.cf, before lists are split;
 * config_directory defaults to the file's directory, the restriction
 * lists to empty; a restriction that uses any other name main.cf does
 * not set is left out with a comment, and so is a value that cannot be
 * expanded (a loop of references, a syntax error).
 *
 * Reads the file only; writes text to out; never exits.
 */
#ifndef MXWALL_IMPORT_H
#define MXWALL_IMPORT_H

#include <stddef.h>
#include <stdio.h>

/*
 * import_postfix - read the main.cf at path and write an mxwall.conf to
 * out. 0, or -1 with err filled ("PATH, line N: what") when the file
 * cannot be read or split into lines.
 */
int import_postfix(const char *path, FILE *out, char *err, size_t errlen);

#endif
