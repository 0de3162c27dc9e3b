<?php
/**
 * Decodes the storefront answers (ProductAvailability, and a
 * BatchGetAvailabilityResponse of them) straight from protobuf wire format
 * into the library's Results, reading only the fields the storefront shows
 * and skipping every other field, known or not (so a newer server is fine).
 * Why: Debian ships only the pure-PHP protobuf runtime, whose generic
 * decoder costs ~40 us per answer, 2-5 ms for a listing of 48; this costs a
 * few us per answer. Field numbers are those of availability/v1/*.proto;
 * WireDecoderTest checks them against the generated classes. Throws
 * \UnexpectedValueException on malformed input. Stateless.
 */

declare(strict_types=1);

namespace Availability\Client\Grpc;

use Availability\Client\Alternative;
use Availability\Client\Availability;
use Availability\Client\Outcome;
use Availability\Client\Result;
use Availability\Client\Status;

final class WireDecoder
{
    private const VARINT = 0;
    private const I64 = 1;
    private const LEN = 2;
    private const I32 = 5;
    private const STATUSES = [
        2 => Status::InStock, 3 => Status::Backorderable, 4 => Status::Preorder,
        5 => Status::OutOfStock, 6 => Status::Discontinued,
    ];
    private const RELATIONS = [
        1 => 'successor', 2 => 'substitute', 3 => 'related',
        4 => 'upsell', 5 => 'crosssell', 6 => 'same_category',
    ];

    /** @return Result[] the items of a BatchGetAvailabilityResponse, in order */
    public static function batch(string $bytes): array
    {
        $results = [];
        self::fields($bytes, static function (int $field, int $type, $value) use (&$results): void {
            if ($field === 1 && $type === self::LEN) {
                $results[] = self::productAvailability($value);
            }
        });
        return $results;
    }

    /**
     * One ProductAvailability as a Result: an item error becomes its
     * Outcome, STATUS_UNKNOWN/unset Outcome::Unknown (Magento's status
     * stays), a stale answer keeps its status and loses its counts.
     */
    public static function productAvailability(string $bytes): Result
    {
        $f = ['sku' => '', 'stock' => 0, 'status' => 0, 'display' => 0, 'orderable' => false,
            'left' => null, 'eta_known' => false, 'first' => null, 'restock' => null,
            'notice' => false, 'successor' => '', 'alternatives' => [], 'stale' => false,
            'error_code' => 0, 'error_message' => ''];
        self::fields($bytes, static function (int $field, int $type, $v) use (&$f): void {
            match (true) {
                $field === 1 && $type === self::LEN => $f['sku'] = $v,
                $field === 2 && $type === self::VARINT => $f['stock'] = self::int32($v),
                $field === 3 && $type === self::VARINT => $f['status'] = $v,
                $field === 4 && $type === self::VARINT => $f['orderable'] = $v !== 0,
                $field === 5 && $type === self::I64 => $f['left'] = $v,
                $field === 8 && $type === self::VARINT => $f['eta_known'] = $v !== 0,
                $field === 9 && $type === self::LEN => $f['first'] = self::date($v),
                $field === 10 && $type === self::LEN => $f['restock'] = self::date($v),
                $field === 11 && $type === self::VARINT => $f['notice'] = $v !== 0,
                $field === 15 && $type === self::LEN => $f['successor'] = $v,
                $field === 16 && $type === self::LEN => $f['alternatives'][] = $v,
                $field === 18 && $type === self::LEN => $f['stale'] = self::stale($v),
                $field === 20 && $type === self::LEN => [$f['error_code'], $f['error_message']] = self::error($v),
                $field === 21 && $type === self::VARINT => $f['display'] = $v,
                default => null,
            };
        });
        if ($f['error_code'] !== 0) {
            return Result::fallback(StatusMapper::outcome($f['error_code']), $f['error_message']);
        }
        $status = self::status($f['status']);
        if ($status === null) {
            return Result::fallback(Outcome::Unknown, 'status unknown');
        }
        $alternatives = [];
        foreach ($f['alternatives'] as $alternative) {
            $alternatives[] = self::alternative($alternative, $f['stale']);
        }
        return Result::ok(new Availability(
            sku: $f['sku'],
            stockId: $f['stock'],
            status: $status,
            displayStatus: self::status($f['display']) ?? $status,
            orderable: $f['orderable'],
            onlyXLeft: $f['stale'] ? null : $f['left'],
            etaKnown: $f['eta_known'],
            firstShipDate: $f['first'],
            restockDate: $f['restock'],
            backorderNotice: $f['notice'],
            successorSku: $f['successor'] !== '' ? $f['successor'] : null,
            alternatives: $alternatives,
            stale: $f['stale'],
        ));
    }

    private static function alternative(string $bytes, bool $stale): Alternative
    {
        $sku = '';
        $relation = 0;
        $compact = null;
        self::fields($bytes, static function (int $field, int $type, $v) use (&$sku, &$relation, &$compact): void {
            match (true) {
                $field === 1 && $type === self::LEN => $sku = $v,
                $field === 2 && $type === self::VARINT => $relation = $v,
                $field === 3 && $type === self::LEN => $compact = $v,
                default => null,
            };
        });
        $status = 0;
        $left = null;
        $first = null;
        if ($compact !== null) {
            self::fields($compact, static function (int $field, int $type, $v) use (&$status, &$left, &$first): void {
                match (true) {
                    $field === 1 && $type === self::VARINT => $status = $v,
                    $field === 2 && $type === self::I64 => $left = $v,
                    $field === 3 && $type === self::LEN => $first = self::date($v),
                    default => null,
                };
            });
        }
        return new Alternative($sku, self::RELATIONS[$relation] ?? 'related', self::status($status),
            $stale ? null : $left, $first);
    }

    private static function date(string $bytes): ?string
    {
        $ymd = [1 => 0, 2 => 0, 3 => 0];
        self::fields($bytes, static function (int $field, int $type, $v) use (&$ymd): void {
            if ($field >= 1 && $field <= 3 && $type === self::VARINT) {
                $ymd[$field] = self::int32($v);
            }
        });
        return self::isoDate($ymd[1], $ymd[2], $ymd[3]);
    }

    /** availability.v1.Status number to Status; null for UNKNOWN/unset. */
    public static function status(int $status): ?Status
    {
        return self::STATUSES[$status] ?? null;
    }

    /** availability.v1.Date fields as Y-m-d; null when unset (year 0). */
    public static function isoDate(int $year, int $month, int $day): ?string
    {
        return $year === 0 ? null : sprintf('%04d-%02d-%02d', $year, $month, $day);
    }

    private static function stale(string $bytes): bool
    {
        $stale = false;
        self::fields($bytes, static function (int $field, int $type, $v) use (&$stale): void {
            if ($field === 3 && $type === self::VARINT) {
                $stale = $v !== 0;
            }
        });
        return $stale;
    }

    /** @return array{0: int, 1: string} */
    private static function error(string $bytes): array
    {
        $code = 0;
        $message = '';
        self::fields($bytes, static function (int $field, int $type, $v) use (&$code, &$message): void {
            match (true) {
                $field === 1 && $type === self::VARINT => $code = self::int32($v),
                $field === 2 && $type === self::LEN => $message = $v,
                default => null,
            };
        });
        return [$code, $message];
    }

    private static function int32(int $v): int
    {
        $v &= 0xFFFFFFFF;
        return $v >= 0x80000000 ? $v - 0x100000000 : $v;
    }

    /**
     * Calls $each(field number, wire type, value) for every field of one
     * message: int for VARINT, float for I64 (a double), string for LEN,
     * null for I32 (not used by the fields we read).
     *
     * @param \Closure(int, int, mixed): void $each
     */
    private static function fields(string $bytes, \Closure $each): void
    {
        $pos = 0;
        $end = strlen($bytes);
        while ($pos < $end) {
            $key = self::varint($bytes, $pos, $end);
            $field = $key >> 3;
            $type = $key & 7;
            if ($field < 1) {
                throw new \UnexpectedValueException('protobuf: field number 0');
            }
            switch ($type) {
                case self::VARINT:
                    $value = self::varint($bytes, $pos, $end);
                    break;
                case self::I64:
                    if ($pos + 8 > $end) {
                        throw new \UnexpectedValueException('protobuf: truncated fixed64');
                    }
                    $value = unpack('e', $bytes, $pos)[1];
                    $pos += 8;
                    break;
                case self::LEN:
                    $length = self::varint($bytes, $pos, $end);
                    if ($length < 0 || $pos + $length > $end) {
                        throw new \UnexpectedValueException('protobuf: truncated length-delimited field');
                    }
                    $value = substr($bytes, $pos, $length);
                    $pos += $length;
                    break;
                case self::I32:
                    if ($pos + 4 > $end) {
                        throw new \UnexpectedValueException('protobuf: truncated fixed32');
                    }
                    $value = null;
                    $pos += 4;
                    break;
                default:
                    throw new \UnexpectedValueException("protobuf: wire type $type not supported");
            }
            $each($field, $type, $value);
        }
    }

    private static function varint(string $bytes, int &$pos, int $end): int
    {
        $value = 0;
        for ($shift = 0; $shift < 64; $shift += 7) {
            if ($pos >= $end) {
                throw new \UnexpectedValueException('protobuf: truncated varint');
            }
            $byte = ord($bytes[$pos++]);
            $value |= ($byte & 0x7F) << $shift;
            if ($byte < 0x80) {
                return $value;
            }
        }
        throw new \UnexpectedValueException('protobuf: varint longer than 10 bytes');
    }
}
