/**
 * The emulators of the tests of what the worker writes to IAM and records in the store: dynalite, moto_server, and
 * the IAM gateway on it, started together and stopped together.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { type DynaliteServer, startDynalite } from './dynalite';
import { awsTestEnv, type MotoServer, startMoto } from './moto';

/** dynalite, moto_server, an IAM client and the bot's IAM gateway on it. */
export interface IamStoreEmulators {
  db: DynaliteServer;
  moto: MotoServer;
  iamClient: IAMClient;
  gateway: AwsIamGateway;
  stop(): Promise<void>;
}

/** Starts dynalite and moto_server on free loopback ports, with an IAM client and gateway on moto. */
export async function startIamStoreEmulators(): Promise<IamStoreEmulators> {
  const [db, moto] = await Promise.all([startDynalite(), startMoto()]);
  const iamClient = new IAMClient(awsTestEnv(moto.endpoint));
  return {
    db,
    moto,
    iamClient,
    gateway: new AwsIamGateway(iamClient),
    async stop() {
      iamClient.destroy();
      await Promise.all([db.stop(), moto.stop()]);
    },
  };
}
