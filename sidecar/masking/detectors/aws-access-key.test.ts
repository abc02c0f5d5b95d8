import { describe, expect, it } from 'vitest';
import { findAwsAccessKeys } from './aws-access-key.js';

const found = (text: string) => findAwsAccessKeys(text).map((s) => text.slice(s.start, s.end));

describe('awsAccessKey detector', () => {
  it('finds AKIA and ASIA ids', () => {
    expect(found('aws_access_key_id = AKIAIOSFODNN7EXAMPLE')).toEqual(['AKIAIOSFODNN7EXAMPLE']);
    expect(found('"ASIAY34FZKBOKMUTVV7A",')).toEqual(['ASIAY34FZKBOKMUTVV7A']);
  });

  it.each([
    'AKIAIOSFODNN7EXAMPL',
    'AKIAIOSFODNN7EXAMPLEX',
    'XAKIAIOSFODNN7EXAMPLE',
    'AKIAiosfodnn7example',
    'AGPAIOSFODNN7EXAMPLE',
  ])('ignores %s', (text) => {
    expect(found(text)).toEqual([]);
  });
});
