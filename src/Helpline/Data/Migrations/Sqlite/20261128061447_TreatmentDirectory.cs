using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TreatmentDirectory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Facilities",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Frid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    Name2 = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    Street1 = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    Street2 = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    City = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    CitySlug = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    Zip = table.Column<string>(type: "TEXT", maxLength: 5, nullable: false),
                    County = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Phone = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    IntakePhone = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    Website = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Latitude = table.Column<double>(type: "REAL", nullable: true),
                    Longitude = table.Column<double>(type: "REAL", nullable: true),
                    TypeFacility = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Paid = table.Column<bool>(type: "INTEGER", nullable: false),
                    Hidden = table.Column<bool>(type: "INTEGER", nullable: false),
                    HiddenReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Source = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    ContentHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ImportedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Facilities", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FacilityServices",
                columns: table => new
                {
                    FacilityId = table.Column<long>(type: "INTEGER", nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FacilityServices", x => new { x.FacilityId, x.Code });
                    table.ForeignKey(
                        name: "FK_FacilityServices_Facilities_FacilityId",
                        column: x => x.FacilityId,
                        principalTable: "Facilities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Referrals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ContactId = table.Column<long>(type: "INTEGER", nullable: false),
                    FacilityId = table.Column<long>(type: "INTEGER", nullable: false),
                    How = table.Column<int>(type: "INTEGER", nullable: false),
                    AdvisorId = table.Column<string>(type: "TEXT", nullable: true),
                    TransferCallSid = table.Column<string>(type: "TEXT", maxLength: 34, nullable: true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LocalDate = table.Column<DateOnly>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Referrals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Referrals_AspNetUsers_AdvisorId",
                        column: x => x.AdvisorId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Referrals_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Referrals_Facilities_FacilityId",
                        column: x => x.FacilityId,
                        principalTable: "Facilities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Facilities_Key",
                table: "Facilities",
                column: "Key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Facilities_Latitude_Longitude",
                table: "Facilities",
                columns: new[] { "Latitude", "Longitude" });

            migrationBuilder.CreateIndex(
                name: "IX_Facilities_Name",
                table: "Facilities",
                column: "Name");

            migrationBuilder.CreateIndex(
                name: "IX_Facilities_State_CitySlug",
                table: "Facilities",
                columns: new[] { "State", "CitySlug" });

            migrationBuilder.CreateIndex(
                name: "IX_Facilities_State_Name",
                table: "Facilities",
                columns: new[] { "State", "Name" });

            migrationBuilder.CreateIndex(
                name: "IX_Facilities_Zip",
                table: "Facilities",
                column: "Zip");

            migrationBuilder.CreateIndex(
                name: "IX_FacilityServices_Code_FacilityId",
                table: "FacilityServices",
                columns: new[] { "Code", "FacilityId" });

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_AdvisorId",
                table: "Referrals",
                column: "AdvisorId");

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_ContactId",
                table: "Referrals",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_FacilityId",
                table: "Referrals",
                column: "FacilityId");

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_LocalDate_How",
                table: "Referrals",
                columns: new[] { "LocalDate", "How" });

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_TransferCallSid",
                table: "Referrals",
                column: "TransferCallSid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FacilityServices");

            migrationBuilder.DropTable(
                name: "Referrals");

            migrationBuilder.DropTable(
                name: "Facilities");
        }
    }
}
