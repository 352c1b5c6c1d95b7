import { describeScannerConformance } from './scanner-conformance';
import { avastAdapter, fprotAdapter, kasperskyAdapter, savapiAdapter, sophosAdapter } from './socket-adapters';

/** The conformance suite against the simulators of the five line-protocol socket scanners (local sockets only). */
describeScannerConformance(fprotAdapter);
describeScannerConformance(sophosAdapter);
describeScannerConformance(savapiAdapter);
describeScannerConformance(kasperskyAdapter);
describeScannerConformance(avastAdapter);
