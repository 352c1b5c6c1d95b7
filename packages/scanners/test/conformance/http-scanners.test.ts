import { describeScannerConformance } from './scanner-conformance';
import { icapAdapter, kasperskySeAdapter, kasperskySeFilesAdapter, metadefenderAdapter, virustotalAdapter } from './http-adapters';

/** The conformance suite against the simulators of the HTTP scanners and ICAP (local sockets only). */
describeScannerConformance(kasperskySeAdapter);
describeScannerConformance(kasperskySeFilesAdapter);
describeScannerConformance(virustotalAdapter);
describeScannerConformance(metadefenderAdapter);
describeScannerConformance(icapAdapter);
