#!/bin/sh
# Regenerates the tshark dissections that decoder_pcap_test compares against.
# The oracle is tshark, not our decoder: run from the source root.
set -eu
out=agent/decode/testdata
for rel in zeek/smtp.pcap suricata-verify/smtp-pipelining/input.pcap \
           zeek/smtp-attachment-msg.pcap arkime/dns-mx.pcap \
           suricata-verify/smtp-rset/input.pcap zeek/dns-long-connection-MX.pcap; do
  name=$(echo "$rel" | tr '/' '_')
  tshark -r "tests/testdata/pcap/$rel" -o tcp.analyze_sequence_numbers:FALSE \
    -T fields -E separator=/t -E occurrence=f \
    -e frame.number -e frame.protocols -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
    -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
    -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e udp.length \
    > "$out/$name.tshark.tsv"
done
