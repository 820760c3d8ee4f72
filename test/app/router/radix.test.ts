import { runRouterConformance } from './conformance.js';
import { RadixRouter } from '../../../src/app/router/radix.js';

runRouterConformance('RadixRouter', () => new RadixRouter<string>());
